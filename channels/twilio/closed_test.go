package twilio

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/scheduling"
)

// scheduleReminder puts a's reminder at the fake for number, as asking for
// one by SMS would have.
func (f *fixture) scheduleReminder(number string, a scheduling.Appointment) {
	f.t.Helper()
	rem, ok := f.ch.reminder(a, a.Lang, f.now)
	if !ok {
		f.t.Fatalf("no reminder for %+v", a)
	}
	if err := f.ch.c.Provider.Schedule(number, rem.out, rem.sendAt); err != nil {
		f.t.Fatal(err)
	}
}

func TestNotifyClosed(t *testing.T) {
	f := newFixture(t)
	day := scheduling.Date{Year: 2026, Month: 12, Day: 2}
	es := appointment(t, 2, 10) // northwest, es, K7P2QX
	en := es
	en.Lang, en.Code, en.Start = "en", "AB3CD4", es.Start.Add(30*time.Minute)
	noReminder := es
	noReminder.Code = "ZZ9ZZ8"
	other := es
	other.Office, other.Code = "city-hall", "QQ2RR3"
	f.scheduleReminder(resident, es)
	f.scheduleReminder("+13125550143", en)
	f.scheduleReminder("+13125550144", other)
	// The booking reply, long delivered, holds the code too: not a reminder.
	if err := f.ch.c.Provider.Send(resident, "Booked: code K7P2QX"); err != nil {
		t.Fatal(err)
	}
	f.twilio.Fail("POST", "/Messages.json", http.StatusTooManyRequests, 1) // the first notice is retried

	cancelled := []scheduling.Appointment{es, en, noReminder}
	for i := range cancelled {
		cancelled[i].Status = scheduling.StatusCancelled
		cancelled[i].Identity = scheduling.Identity{} // a cancelled appointment has none
	}
	told, err := f.ch.NotifyClosed(context.Background(), "northwest", day, cancelled)
	if err != nil || told != 2 {
		t.Fatalf("NotifyClosed = %d, %v; want 2 told (one resident asked for no reminder)", told, err)
	}
	for _, number := range []string{resident, "+13125550143"} {
		if n := len(f.twilio.Scheduled(number)); n != 0 {
			t.Errorf("%s still has %d reminders", number, n)
		}
	}
	if n := len(f.twilio.Scheduled("+13125550144")); n != 1 {
		t.Errorf("another office's reminder: %d scheduled, want it kept", n)
	}
	notices := map[string]string{}
	for _, m := range f.twilio.Messages() {
		if m.Status == "delivered" && !strings.HasPrefix(m.Body, "Booked") {
			if _, dup := notices[m.To]; dup {
				t.Errorf("%s told twice", m.To)
			}
			notices[m.To] = m.Body
		}
	}
	want := map[string][]string{
		resident:       {"K7P2QX", "Centro Comunitario del Noroeste", "miércoles 2 de diciembre", "cierra"},
		"+13125550143": {"AB3CD4", "is closed on", "December"},
	}
	if len(notices) != len(want) {
		t.Errorf("notices sent: %v", notices)
	}
	for number, parts := range want {
		for _, p := range parts {
			if !strings.Contains(notices[number], p) {
				t.Errorf("notice to %s %q lacks %q", number, notices[number], p)
			}
		}
	}
}

func TestNotifyClosedFailures(t *testing.T) {
	f := newFixture(t)
	day := scheduling.Date{Year: 2026, Month: 12, Day: 2}
	a := appointment(t, 2, 10)
	f.scheduleReminder(resident, a)

	// Nothing cancelled at that office: no call at all.
	before := len(f.twilio.Requests())
	if told, err := f.ch.NotifyClosed(context.Background(), "city-hall", day, []scheduling.Appointment{a}); told != 0 || err != nil {
		t.Errorf("other office: %d, %v", told, err)
	}
	if n := len(f.twilio.Requests()); n != before {
		t.Errorf("%d Twilio calls for nothing to do", n-before)
	}

	// Twilio refuses the list for good: an error, nobody told, and the
	// error carries no number.
	f.twilio.Fail("GET", "/Messages.json", http.StatusForbidden, 1)
	told, err := f.ch.NotifyClosed(context.Background(), "northwest", day, []scheduling.Appointment{a})
	if err == nil || told != 0 {
		t.Fatalf("list refused: %d, %v; want an error", told, err)
	}
	if strings.Contains(err.Error(), "5550142") {
		t.Errorf("error holds the number: %v", err)
	}

	// The send fails for good after the cancel: counted as not told.
	f.twilio.Fail("POST", "/Messages.json", http.StatusBadRequest, 1)
	told, err = f.ch.NotifyClosed(context.Background(), "northwest", day, []scheduling.Appointment{a})
	if err == nil || told != 0 {
		t.Fatalf("send refused: %d, %v; want an error", told, err)
	}
	if n := len(f.twilio.Scheduled(resident)); n != 0 {
		t.Errorf("reminder still scheduled after the cancel")
	}

	// A request that has ended stops the retries.
	f.scheduleReminder(resident, a)
	f.twilio.Fail("GET", "/Messages.json", http.StatusServiceUnavailable, 100)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.ch.NotifyClosed(ctx, "northwest", day, []scheduling.Appointment{a}); err == nil {
		t.Error("cancelled context: no error")
	}
}
