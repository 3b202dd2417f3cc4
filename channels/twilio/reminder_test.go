package twilio

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/twilio/twiliotest"
	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/scheduling"
)

func chicago(t *testing.T) *time.Location {
	t.Helper()
	return scheduling.Demo().Location
}

func appointment(t *testing.T, day, hour int) scheduling.Appointment {
	return scheduling.Appointment{
		Office: "northwest", Start: time.Date(2026, 12, day, hour, 0, 0, 0, chicago(t)),
		Lang: "es", Code: "K7P2QX", Status: scheduling.StatusBooked,
	}
}

// say sends one message whose reply carries effects, and waits for the
// Twilio calls it queued.
func (f *fixture) say(sid string, effects ...conversations.Effect) {
	f.t.Helper()
	f.eng.reply = func(conversations.Inbound) conversations.Reply {
		return conversations.Reply{Lang: "en", Text: "OK", Effects: effects}
	}
	form := inbound(sid, "1")
	form.Set("From", f.ch.addr(resident))
	form.Set("To", f.ch.addr(cityNum))
	if status, body := f.post(form, formType, "", nil); status != 200 {
		f.t.Fatalf("status %d: %s", status, body)
	}
	f.ch.Drain()
}

func TestReminderScheduled(t *testing.T) {
	f := newFixture(t)
	a := appointment(t, 2, 10) // Wednesday 2 December, 10:00 in Chicago
	f.say("SM40", conversations.Effect{Kind: conversations.ReminderWanted, Appointment: a})
	got := f.twilio.Scheduled(resident)
	if len(got) != 1 {
		t.Fatalf("%d reminders scheduled, want 1", len(got))
	}
	r := got[0]
	if want := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC); !r.SendAt.Equal(want) {
		t.Errorf("SendAt %v, want %v (24h before, UTC)", r.SendAt, want)
	}
	if r.Service != twiliotest.ServiceSID {
		t.Errorf("sent through %q, want the Messaging Service", r.Service)
	}
	for _, want := range []string{"K7P2QX", "Centro Comunitario del Noroeste", "5450 W Irving Park Rd", "miércoles 2 de diciembre", "10:00", "Recordatorio"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("reminder %q lacks %q", r.Body, want)
		}
	}
	var create twiliotest.Request
	for _, req := range f.twilio.Requests() {
		if req.Method == "POST" && strings.HasSuffix(req.Path, "/Messages.json") {
			create = req
		}
	}
	if create.Form.Get("ScheduleType") != "fixed" || create.Form.Get("SendAt") != "2026-12-01T16:00:00Z" {
		t.Errorf("create form %v, want ScheduleType fixed and SendAt in UTC", create.Form)
	}
	// Asking twice leaves one reminder.
	f.say("SM41", conversations.Effect{Kind: conversations.ReminderWanted, Appointment: a})
	if n := len(f.twilio.Scheduled(resident)); n != 1 {
		t.Errorf("%d reminders after asking twice, want 1", n)
	}
}

// TestReminderParty: a family's reminder says how many people are booked;
// a party of one's says nothing about it.
func TestReminderParty(t *testing.T) {
	for _, tt := range []struct {
		name   string
		party  int
		people string
	}{
		{"family of three", 3, "Para 3 personas"},
		{"one person", 1, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			a := appointment(t, 2, 10)
			a.Party = tt.party
			f.say("SM50", conversations.Effect{Kind: conversations.ReminderWanted, Appointment: a})
			got := f.twilio.Scheduled(resident)
			if len(got) != 1 {
				t.Fatalf("%d reminders scheduled, want 1", len(got))
			}
			if tt.people != "" && !strings.Contains(got[0].Body, tt.people) || tt.people == "" && strings.Contains(got[0].Body, "persona") {
				t.Errorf("reminder %q, want people line %q", got[0].Body, tt.people)
			}
		})
	}
}

func TestReminderWindow(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    scheduling.Appointment
	}{
		{"send time within 15 minutes", appointment(t, 1, 9)}, // due 30 Nov 09:00, 10 minutes from now
		{"send time past", appointment(t, 1, 8)},              // due 30 Nov 08:00
		{"more than 35 days ahead", scheduling.Appointment{Office: "city-hall", Start: time.Date(2027, 1, 6, 10, 0, 0, 0, chicago(t)), Lang: "en", Code: "K7P2QX"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.now = time.Date(2026, 11, 30, 8, 50, 0, 0, chicago(t))
			f.say("SM42", conversations.Effect{Kind: conversations.ReminderWanted, Appointment: tc.a})
			if n := f.twilio.Count("POST", "/Messages.json"); n != 0 {
				t.Errorf("%d messages created, want none", n)
			}
		})
	}
}

func TestReminderMovedCancelledForgotten(t *testing.T) {
	f := newFixture(t)
	old, moved := appointment(t, 2, 10), appointment(t, 3, 14)
	f.say("SM50", conversations.Effect{Kind: conversations.ReminderWanted, Appointment: old})
	first := f.twilio.Scheduled(resident)[0].SID

	f.say("SM51", conversations.Effect{Kind: conversations.Moved, Appointment: moved, Previous: old})
	if m, _ := f.twilio.Message(first); m.Status != "canceled" {
		t.Errorf("old reminder is %q, want canceled", m.Status)
	}
	now := f.twilio.Scheduled(resident)
	if len(now) != 1 || !now[0].SendAt.Equal(time.Date(2026, 12, 2, 20, 0, 0, 0, time.UTC)) {
		t.Fatalf("after the move: %+v, want one reminder at 2 Dec 20:00 UTC", now)
	}

	f.say("SM52", conversations.Effect{Kind: conversations.Cancelled, Appointment: moved})
	if n := len(f.twilio.Scheduled(resident)); n != 0 {
		t.Errorf("%d reminders after cancel, want 0", n)
	}
	// Moving an appointment that had no reminder makes none.
	f.say("SM53", conversations.Effect{Kind: conversations.Moved, Appointment: old, Previous: moved})
	if n := len(f.twilio.Scheduled(resident)); n != 0 {
		t.Errorf("%d reminders after moving without one, want 0", n)
	}

	// Delete my data: reminders cancelled, the number's messages deleted.
	f.say("SM54", conversations.Effect{Kind: conversations.ReminderWanted, Appointment: old})
	in := f.twilio.Receive(resident, cityNum, "4", 1, f.now.Add(-time.Minute))
	out := f.twilio.Sent(cityNum, resident, "Booked!", f.now.Add(-time.Minute))
	other := f.twilio.Receive("+13125550143", cityNum, "hi", 0, f.now.Add(-time.Minute))
	f.say("SM55", conversations.Effect{Kind: conversations.Forgotten, Appointment: old})
	if n := len(f.twilio.Scheduled(resident)); n != 0 {
		t.Errorf("%d reminders after forget, want 0", n)
	}
	for _, sid := range []string{in, out} {
		if _, ok := f.twilio.Message(sid); ok {
			t.Errorf("message %s survived delete my data", sid)
		}
	}
	if _, ok := f.twilio.Message(other); !ok {
		t.Errorf("another resident's message was deleted")
	}
	for _, m := range f.twilio.Deleted() {
		if m.SID == in && len(m.Media) != 0 {
			t.Errorf("message deleted with %d media left", len(m.Media))
		}
	}
}

func TestRateLimitedOnceRetriedOnce(t *testing.T) {
	f := newFixture(t)
	f.twilio.Fail("POST", "/Messages.json", 429, 1)
	f.say("SM60", conversations.Effect{Kind: conversations.ReminderWanted, Appointment: appointment(t, 2, 10)})
	if n := f.twilio.Count("POST", "/Messages.json"); n != 2 {
		t.Errorf("%d create calls, want 2 (one 429, one retry)", n)
	}
	if n := len(f.twilio.Scheduled(resident)); n != 1 {
		t.Errorf("%d reminders, want exactly 1", n)
	}
	if !strings.Contains(f.logs.String(), "status=429") {
		t.Errorf("the 429 was not logged:\n%s", f.logs.String())
	}
}

func TestServerErrorsRetriedThenGivenUp(t *testing.T) {
	f := newFixture(t)
	f.twilio.Fail("GET", "/Messages.json", 503, 4)
	f.say("SM61", conversations.Effect{Kind: conversations.Cancelled})
	if n := f.twilio.Count("GET", "/Messages.json"); n != 4 {
		t.Errorf("%d attempts, want 4", n)
	}
	// A 4xx other than 429 will not pass by retrying.
	f.twilio.Fail("GET", "/Messages.json", 400, 1)
	f.say("SM62", conversations.Effect{Kind: conversations.Cancelled})
	if n := f.twilio.Count("GET", "/Messages.json"); n != 5 {
		t.Errorf("%d attempts after a 400, want 5 (no retry)", n)
	}
}

// blocked is a Provider that hangs until released.
type blocked struct{ release chan struct{} }

func (b blocked) wait() error                                        { <-b.release; return errors.New("released") }
func (b blocked) Schedule(to string, m Outgoing, at time.Time) error { return b.wait() }
func (b blocked) Send(to, body string) error                         { return b.wait() }
func (b blocked) List(Filter) ([]Message, error)                     { return nil, b.wait() }
func (b blocked) Cancel(string) error                                { return b.wait() }
func (b blocked) Delete(string) error                                { return b.wait() }
func (b blocked) DeleteMedia(string) (int, error)                    { return 0, b.wait() }

func TestWebhookNeverWaitsForTwilio(t *testing.T) {
	f := newFixture(t)
	b := blocked{release: make(chan struct{})}
	f.ch.c.Provider = b
	f.eng.reply = func(conversations.Inbound) conversations.Reply {
		return conversations.Reply{Lang: "en", Text: "OK", Effects: []conversations.Effect{{Kind: conversations.Cancelled}}}
	}
	done := make(chan int)
	go func() {
		status, _ := f.post(inbound("SM70", "STOP"), formType, "", nil)
		f.post(inbound("SM71", "1"), formType, "", nil)
		done <- status
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("webhook waited on Twilio")
	}
	close(b.release)
}

func TestRedact(t *testing.T) {
	f := newFixture(t)
	f.say("SM80", conversations.Effect{Kind: conversations.ReminderWanted, Appointment: appointment(t, 2, 10)})
	old := f.now.Add(-2 * time.Hour)
	oldIn := f.twilio.Receive(resident, cityNum, "photo", 2, old)
	oldOut := f.twilio.Sent(cityNum, resident, "Booked!", old)
	recent := f.twilio.Receive(resident, cityNum, "hi", 0, f.now.Add(-10*time.Minute))
	f.twilio.Fail("DELETE", "/Messages/"+oldOut, 500, 1) // retried

	n, err := f.ch.Redact(f.now, time.Hour)
	if err != nil || n != 2 {
		t.Fatalf("Redact = %d, %v; want 2, nil", n, err)
	}
	for _, sid := range []string{oldIn, oldOut} {
		if _, ok := f.twilio.Message(sid); ok {
			t.Errorf("old message %s not deleted", sid)
		}
	}
	if _, ok := f.twilio.Message(recent); !ok {
		t.Errorf("recent message deleted")
	}
	if len(f.twilio.Scheduled(resident)) != 1 {
		t.Errorf("pending reminder was touched")
	}
	for _, m := range f.twilio.Deleted() {
		if len(m.Media) != 0 {
			t.Errorf("%s deleted with its media still there", m.SID)
		}
	}
	if n := f.twilio.Count("GET", "/Media/ME"); n != 0 {
		t.Errorf("media content fetched %d times", n)
	}
	// Idempotent: a second run finds nothing more.
	if n, err := f.ch.Redact(f.now, time.Hour); n != 0 || err != nil {
		t.Errorf("second Redact = %d, %v", n, err)
	}
}

// TestReminderPartyFits builds the reminder of a family of five (max_party
// in the demo program) at every office, in every language, on a day with a
// long date, and holds it to 3 SMS segments: the people line must not make
// a reminder cost a fourth.
func TestReminderPartyFits(t *testing.T) {
	f := newFixture(t)
	p := scheduling.Demo()
	for _, lang := range p.Languages {
		for _, o := range p.Offices {
			a := scheduling.Appointment{
				Office: o.ID, Start: time.Date(2026, 12, 30, 12, 45, 0, 0, chicago(t)), Lang: lang,
				Code: "WXYZ78", Status: scheduling.StatusBooked, Party: p.MaxParty,
			}
			rem, ok := f.ch.reminder(a, lang, testNow)
			if !ok {
				t.Fatalf("%s %s: no reminder", lang, o.ID)
			}
			if n, _ := conversations.Encode(rem.out.Body); n > conversations.MaxSegments {
				t.Errorf("%s %s: reminder takes %d segments:\n%s", lang, o.ID, n, rem.out.Body)
			}
		}
	}
}
