package telegram

import (
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
