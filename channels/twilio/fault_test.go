package twilio

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/twilio/twiliotest"
	"github.com/cita-city/cita/conversations"
)

// Provider faults (issue 8): Twilio answers 429 or 5xx, or does not answer
// in time, while the channel schedules, moves and cancels reminders and
// redacts messages. Every call is retried with backoff, none is made twice
// to effect, and the webhook never waits for any of it.

// clientTimeout is the Twilio HTTP timeout in these tests; hang is how
// late the fake answers, well past it.
const (
	clientTimeout = 200 * time.Millisecond
	hang          = 2 * time.Second
)

// attempts records what OnAttempt is told.
type attempts struct {
	mu   sync.Mutex
	seen []string // "outcome" or "outcome retry"
}

func (a *attempts) add(provider, outcome string, retry bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if provider != "twilio" {
		outcome = "wrong provider " + provider
	}
	if retry {
		outcome += " retry"
	}
	a.seen = append(a.seen, outcome)
}

func (a *attempts) count(s string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, x := range a.seen {
		if x == s {
			n++
		}
	}
	return n
}

func (a *attempts) String() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return strings.Join(a.seen, ", ")
}

// newFaultFixture is newFixture with a short Twilio timeout and attempts
// recorded.
func newFaultFixture(t *testing.T) (*fixture, *attempts) {
	f := newFixture(t)
	hc, err := HTTPClient(f.twilio.URL, clientTimeout)
	if err != nil {
		t.Fatal(err)
	}
	f.ch.c.Provider = NewTwilio(twiliotest.AccountSID, twiliotest.AuthToken, twiliotest.ServiceSID, hc)
	a := &attempts{}
	f.ch.c.OnAttempt = a.add
	return f, a
}

func TestReminderFaultsNeverDuplicate(t *testing.T) {
	const (
		create = "/Messages.json" // POST: create; GET: list
		update = "/Messages/SM"   // POST: cancel
	)
	for _, tc := range []struct {
		name   string
		faults func(tw *twiliotest.Server)
		// creates is how many create requests reach Twilio.
		creates int
		// retried is an attempt outcome that must have been retried.
		retried string
	}{
		{"create rate limited", func(tw *twiliotest.Server) { tw.Fail("POST", create, 429, 2) }, 3, "429 retry"},
		{"list server error", func(tw *twiliotest.Server) { tw.Fail("GET", create, 500, 1) }, 1, "5xx retry"},
		{"create server error", func(tw *twiliotest.Server) { tw.Fail("POST", create, 503, 1) }, 2, "5xx retry"},
		{"list timeout", func(tw *twiliotest.Server) { tw.Hang("GET", create, hang, 1) }, 1, "timeout retry"},
		// The classic duplicate: the create took effect but its answer
		// never came. The retry finds the reminder and makes no other.
		{"create timeout", func(tw *twiliotest.Server) { tw.Hang("POST", create, hang, 1) }, 1, "timeout retry"},
		{"create timeout twice", func(tw *twiliotest.Server) { tw.Hang("POST", create, hang, 2) }, 1, "timeout retry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, a := newFaultFixture(t)
			tc.faults(f.twilio)
			f.say("SM90", conversations.Effect{Kind: conversations.ReminderWanted, Appointment: appointment(t, 2, 10)})
			if n := len(f.twilio.Scheduled(resident)); n != 1 {
				t.Errorf("%d reminders scheduled, want exactly 1", n)
			}
			if n := f.twilio.Count("POST", create); n != tc.creates {
				t.Errorf("%d create requests, want %d", n, tc.creates)
			}
			if a.count(tc.retried) == 0 || a.count("ok") != 1 {
				t.Errorf("attempts %s: want a %q and one ok", a, tc.retried)
			}
			if strings.Contains(f.logs.String(), "level=ERROR") {
				t.Errorf("a retried call was logged as failed:\n%s", f.logs.String())
			}
		})
	}
}

func TestReminderMoveAndCancelTimeouts(t *testing.T) {
	f, a := newFaultFixture(t)
	old, moved := appointment(t, 2, 10), appointment(t, 3, 14)
	f.say("SM91", conversations.Effect{Kind: conversations.ReminderWanted, Appointment: old})
	first := f.twilio.Scheduled(resident)[0]

	// The move's cancel and create both take effect without an answer.
	f.twilio.Hang("POST", "/Messages/SM", hang, 1)
	f.twilio.Hang("POST", "/Messages.json", hang, 1)
	f.say("SM92", conversations.Effect{Kind: conversations.Moved, Appointment: moved, Previous: old})
	now := f.twilio.Scheduled(resident)
	if len(now) != 1 || now[0].SID == first.SID || !now[0].SendAt.Equal(time.Date(2026, 12, 2, 20, 0, 0, 0, time.UTC)) {
		t.Fatalf("after the move: %+v, want one new reminder at 2 Dec 20:00 UTC", now)
	}
	if m, _ := f.twilio.Message(first.SID); m.Status != "canceled" {
		t.Errorf("old reminder is %q, want canceled", m.Status)
	}

	// A cancel whose answer is lost is not tried again on a message that
	// is no longer scheduled (Twilio would refuse that with a 400).
	f.twilio.Hang("POST", "/Messages/SM", hang, 1)
	cancels := f.twilio.Count("POST", "/Messages/SM")
	f.say("SM93", conversations.Effect{Kind: conversations.Cancelled, Appointment: moved})
	if n := len(f.twilio.Scheduled(resident)); n != 0 {
		t.Errorf("%d reminders after cancel, want 0", n)
	}
	if n := f.twilio.Count("POST", "/Messages/SM") - cancels; n != 1 {
		t.Errorf("%d cancel requests, want 1", n)
	}
	if a.count("timeout retry") != 3 {
		t.Errorf("attempts %s: want 3 timeouts retried", a)
	}
	if strings.Contains(f.logs.String(), "level=ERROR") {
		t.Errorf("a retried call was logged as failed:\n%s", f.logs.String())
	}
}

func TestReminderDuplicateLeftByLateCreateIsCleared(t *testing.T) {
	f, _ := newFaultFixture(t)
	a := appointment(t, 2, 10)
	f.say("SM94", conversations.Effect{Kind: conversations.ReminderWanted, Appointment: a})
	// A create that Twilio applied after our retry had looked leaves two
	// identical reminders; asking again (or any change) keeps one.
	body := f.twilio.Scheduled(resident)[0].Body
	if err := f.ch.c.Provider.Schedule(resident, Outgoing{Body: body}, time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	f.say("SM95", conversations.Effect{Kind: conversations.ReminderWanted, Appointment: a})
	if n := len(f.twilio.Scheduled(resident)); n != 1 {
		t.Errorf("%d reminders, want 1", n)
	}
}

func TestGivenUpIsLoggedWithoutTheNumber(t *testing.T) {
	f, a := newFaultFixture(t)
	f.twilio.Hang("GET", "/Messages.json", hang, 4)
	f.say("SM96", conversations.Effect{Kind: conversations.Cancelled})
	if a.count("timeout retry") != 3 || a.count("timeout") != 1 {
		t.Errorf("attempts %s: want 3 timeouts retried, then one given up", a)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "outcome=timeout") {
		t.Errorf("the failure was not logged with its outcome:\n%s", logs)
	}
	// newFixture's cleanup checks the number is in no log line.
}

func TestWebhookAnswersWhileTwilioHangs(t *testing.T) {
	f, _ := newFaultFixture(t)
	f.ch.queue.attempts = 2 // the test ends when the queue has given up
	f.twilio.Hang("GET", "/Messages", hang, 100)
	f.twilio.Hang("POST", "/Messages", hang, 100)
	f.eng.reply = func(conversations.Inbound) conversations.Reply {
		return conversations.Reply{Lang: "en", Text: "OK", Effects: []conversations.Effect{
			{Kind: conversations.ReminderWanted, Appointment: appointment(t, 2, 10)},
		}}
	}
	for i, sid := range []string{"SM97", "SM98", "SM99"} {
		start := time.Now()
		status, body := f.post(inbound(sid, "1"), formType, "", nil)
		if d := time.Since(start); status != 200 || d > 500*time.Millisecond {
			t.Errorf("webhook %d: status %d after %v, want 200 within 500ms: %s", i, status, d, body)
		}
	}
}

func TestRedactFaults(t *testing.T) {
	f, a := newFaultFixture(t)
	old := f.now.Add(-2 * time.Hour)
	withMedia := f.twilio.Receive(resident, cityNum, "photo", 2, old)
	plain := f.twilio.Sent(cityNum, resident, "Booked!", old)
	third := f.twilio.Sent(cityNum, resident, "See you", old)
	f.twilio.Hang("GET", "/Messages.json", hang, 1)               // the listing times out once
	f.twilio.Fail("GET", "/Messages/"+withMedia+"/Media", 500, 1) // media listing fails once
	f.twilio.Hang("DELETE", "/Messages/"+plain, hang, 1)          // deleted, answer lost
	f.twilio.Fail("DELETE", "/Messages/"+third, 429, 1)           // rate limited once

	n, err := f.ch.Redact(f.now, time.Hour)
	if err != nil || n != 3 {
		t.Fatalf("Redact = %d, %v; want 3, nil (attempts %s)", n, err, a)
	}
	for _, sid := range []string{withMedia, plain, third} {
		if _, ok := f.twilio.Message(sid); ok {
			t.Errorf("message %s not deleted", sid)
		}
	}
	for _, want := range []string{"timeout retry", "5xx retry", "429 retry"} {
		if a.count(want) == 0 {
			t.Errorf("attempts %s: no %q", a, want)
		}
	}
}
