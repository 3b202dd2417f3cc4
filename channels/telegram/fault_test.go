package telegram

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/cita-city/cita/channels/telegram/telegramtest"
)

// Provider faults (issue 8): the Bot API answers 429, 5xx, or nothing in
// time while the channel sends. Calls are retried with backoff (a 429 after
// retry_after), never repeated when the failure says the call did not take
// effect, and a call given up is logged.

// attempts records what OnAttempt is told.
type attempts struct {
	mu   sync.Mutex
	seen []string // "outcome" or "outcome retry"
}

func (a *attempts) add(provider, outcome string, retry bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if provider != "telegram" {
		outcome = "wrong provider " + provider
	}
	if retry {
		outcome += " retry"
	}
	a.seen = append(a.seen, outcome)
}

func (a *attempts) String() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return strings.Join(a.seen, ", ")
}

// faulty gives the fixture a short call timeout and backoff and records
// attempts in a.
func faulty(a *attempts) option {
	return func(c *Config) {
		c.SendTimeout = 200 * time.Millisecond
		c.Backoff = 5 * time.Millisecond
		c.OnAttempt = a.add
	}
}

func TestSendFaults(t *testing.T) {
	const hang = 2 * time.Second
	for _, tc := range []struct {
		name   string
		faults func(api *telegramtest.Server)
		// delivered is how many copies reach the chat.
		delivered int
		attempts  string
		minTook   time.Duration
	}{
		{"rate limited", func(api *telegramtest.Server) { api.ForceTooMany(1, 1) }, 1, "429 retry, ok", time.Second},
		{"server errors", func(api *telegramtest.Server) { api.Fail(502, 1); api.Fail(500, 1) }, 1, "5xx retry, 5xx retry, ok", 15 * time.Millisecond},
		// No answer and no effect: the retry delivers the one copy.
		{"timeout, not delivered", func(api *telegramtest.Server) { api.Hang(1, hang, false) }, 1, "timeout retry, ok", 0},
		// No answer but delivered: the retry delivers a second copy. This
		// is the trade-off chosen (see outbox.run): twice rather than
		// maybe never.
		{"timeout, delivered", func(api *telegramtest.Server) { api.Hang(1, hang, true) }, 2, "timeout retry, ok", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &attempts{}
			f := newFixture(t, faulty(a))
			tc.faults(f.api)
			start := time.Now()
			f.ch.out.send(job{chat: ana, message: true, call: tgbotapi.NewMessage(ana, "your code is K7P2QX")})
			f.settle(t)
			if took := time.Since(start); took < tc.minTook || took > time.Second+tc.minTook {
				t.Errorf("took %v, want %v to %v", took, tc.minTook, time.Second+tc.minTook)
			}
			if n := len(f.api.Messages(ana)); n != tc.delivered {
				t.Errorf("%d copies delivered, want %d", n, tc.delivered)
			}
			if a.String() != tc.attempts {
				t.Errorf("attempts %q, want %q", a, tc.attempts)
			}
			if strings.Contains(f.logs.String(), "given up") {
				t.Errorf("a call that succeeded on retry was logged as given up:\n%s", f.logs.String())
			}
		})
	}
}

func TestRepeatedDeleteAfterTimeout(t *testing.T) {
	a := &attempts{}
	f := newFixture(t, faulty(a))
	f.ch.out.send(job{chat: ana, message: true, call: tgbotapi.NewMessage(ana, "menu")})
	f.settle(t)
	m, _ := f.api.Last(ana)
	// The delete takes effect but answers too late; its repeat is refused
	// as "not found" and must count as done, not as a failure.
	f.api.Hang(1, 2*time.Second, true)
	f.ch.out.send(job{chat: ana, call: tgbotapi.NewDeleteMessage(ana, m.ID)})
	f.settle(t)
	if _, ok := f.api.Last(ana); ok {
		t.Errorf("message not deleted")
	}
	if got, want := a.String(), "ok, timeout retry, ok"; got != want {
		t.Errorf("attempts %q, want %q", got, want)
	}
	if strings.Contains(f.logs.String(), "given up") {
		t.Errorf("a delete that took effect was logged as given up:\n%s", f.logs.String())
	}
}

func TestGivenUpIsLogged(t *testing.T) {
	a := &attempts{}
	f := newFixture(t, faulty(a))
	f.api.Fail(500, transientRetries+1)
	f.ch.out.send(job{chat: ana, message: true, call: tgbotapi.NewMessage(ana, "your code is K7P2QX")})
	f.settle(t)
	if n := len(f.api.Messages(ana)); n != 0 {
		t.Errorf("%d delivered, want 0", n)
	}
	want := strings.Repeat("5xx retry, ", transientRetries) + "5xx"
	if a.String() != want {
		t.Errorf("attempts %q, want %q", a, want)
	}
	logs := f.logs.String()
	for _, s := range []string{"telegram: call given up", "method=sendMessage", "outcome=5xx", "code=500", "attempts=5"} {
		if !strings.Contains(logs, s) {
			t.Errorf("log lacks %q:\n%s", s, logs)
		}
	}
	for _, s := range []string{strconv.FormatInt(ana, 10), "K7P2QX", telegramtest.Token} {
		if strings.Contains(logs, s) {
			t.Errorf("log holds %q:\n%s", s, logs)
		}
	}
	// Backoff doubles: 5, 10, 20, 40 ms between the five attempts.
	reqs := f.api.Requests("sendMessage")
	if gap := reqs[len(reqs)-1].At.Sub(reqs[len(reqs)-2].At); gap < 40*time.Millisecond {
		t.Errorf("last retry %v after the one before, want >= 40ms", gap)
	}
}

// TestFailedCalendarFileDoesNotHoldNextReply is issue 12's case: a
// sendDocument answered with a bare HTTP 500 (no error_code) was retried
// for 15 s in front of the chat's next reply. It is retried off the queue:
// the next reply goes at once, and the file is still tried again later.
func TestFailedCalendarFileDoesNotHoldNextReply(t *testing.T) {
	a := &attempts{}
	f := newFixture(t, func(c *Config) { c.OnAttempt = a.add }) // production backoff: 1 s, doubling
	f.api.FailRaw("sendDocument", http.StatusInternalServerError, "Internal Server Error", transientRetries+1)
	doc := tgbotapi.NewDocument(ana, tgbotapi.FileBytes{Name: "cita.ics", Bytes: []byte("BEGIN:VCALENDAR")})
	f.ch.out.send(
		job{chat: ana, message: true, call: doc},
		job{chat: ana, message: true, call: tgbotapi.NewMessage(ana, "next reply")},
	)
	if !f.api.WaitFor(5*time.Second, func() bool { _, ok := f.api.Last(ana); return ok }) {
		t.Fatal("no reply")
	}
	failed := f.api.Requests("sendDocument")[0].At
	reply := f.api.Requests("sendMessage")[0].At
	if held := reply.Sub(failed); held > 2*time.Second {
		t.Errorf("next reply sent %v after the failed file, want <= 2 s", held)
	}
	if !strings.HasPrefix(a.String(), "5xx retry") {
		t.Errorf("attempts %q: a bare 500 must count as a server error and be retried", a)
	}
	// The file is tried again behind the reply.
	if !f.api.WaitFor(5*time.Second, func() bool { return len(f.api.Requests("sendDocument")) >= 2 }) {
		t.Error("the failed calendar file was not tried again")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if left := f.ch.Stop(ctx); left != 1 {
		t.Errorf("Stop left %d calls, want 1 (the file waiting for its retry)", left)
	}
}

// TestRefusedCallsNotRetried: a 4xx other than 429 says the request itself
// is wrong (400) or will never be allowed (403: the resident blocked the
// bot); retrying cannot help, with or without an error_code in the answer.
func TestRefusedCallsNotRetried(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method string
		status int
		body   string
	}{
		{"bad request", "sendMessage", 400, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`},
		{"bot blocked", "sendMessage", 403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`},
		// tgbotapi drops error_code on uploads: the HTTP status decides.
		{"bot blocked, upload", "sendDocument", 403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`},
		{"bare 400, upload", "sendDocument", 400, "Bad Request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &attempts{}
			f := newFixture(t, faulty(a))
			f.api.FailRaw(tc.method, tc.status, tc.body, 3)
			var call tgbotapi.Chattable = tgbotapi.NewMessage(ana, "hi")
			if tc.method == "sendDocument" {
				call = tgbotapi.NewDocument(ana, tgbotapi.FileBytes{Name: "cita.ics", Bytes: []byte("x")})
			}
			f.ch.out.send(job{chat: ana, message: true, call: call})
			f.settle(t)
			if n := len(f.api.Requests(tc.method)); n != 1 {
				t.Errorf("%d attempts, want 1", n)
			}
			if got := a.String(); got != "4xx" {
				t.Errorf("attempts %q, want 4xx", got)
			}
			if !strings.Contains(f.logs.String(), fmt.Sprintf("status=%d", tc.status)) {
				t.Errorf("the given-up call's status is not logged:\n%s", f.logs.String())
			}
		})
	}
}

// TestProviderErrorTextNeverLogged is issue 13's finding: a description
// echoing a chat id and a number reached the log. Every failing call here
// answers with one; the log has the method, status and code, and neither.
func TestProviderErrorTextNeverLogged(t *testing.T) {
	const number = "+13125550142"
	chat := strconv.FormatInt(ana, 10)
	body := func(code int) string {
		return fmt.Sprintf(`{"ok":false,"error_code":%d,"description":"Bad Request: chat %s of %s not found"}`, code, chat, number)
	}
	f := newFixture(t)
	f.api.FailRaw("deleteWebhook", 400, body(400), 1)
	f.api.FailRaw("getUpdates", 409, body(409), 1)
	f.api.FailRaw("sendMessage", 403, body(403), 1)
	f.api.FailRaw("sendDocument", 500, body(500), transientRetries+1)
	f.api.FailRaw("setWebhook", 400, body(400), 1)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.ch.Run(ctx) }()
	if !f.api.WaitFor(5*time.Second, func() bool { return strings.Contains(f.logs.String(), "method=getUpdates") }) {
		t.Fatalf("the failed poll was not logged:\n%s", f.logs.String())
	}
	cancel()
	<-done
	f.ch.out.backoff = 5 * time.Millisecond
	f.ch.out.send(job{chat: ana, message: true, call: tgbotapi.NewMessage(ana, "hi")})
	f.ch.out.send(job{chat: ana, message: true, call: tgbotapi.NewDocument(ana, tgbotapi.FileBytes{Name: "cita.ics", Bytes: []byte("x")})})
	f.settle(t)
	err := f.ch.RegisterWebhook(t.Context(), "https://cita.example/webhooks/telegram")
	if err == nil {
		t.Fatal("setWebhook refused, but RegisterWebhook succeeded")
	}
	logs := f.logs.String() + "\nerror: " + err.Error()
	for _, want := range []string{"method=deleteWebhook", "status=409", "code=403", "method=sendDocument", "status=500", "setWebhook"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	for _, leak := range []string{chat, number, "5550142", "not found"} {
		if strings.Contains(logs, leak) {
			t.Errorf("log or error holds %q:\n%s", leak, logs)
		}
	}
}
