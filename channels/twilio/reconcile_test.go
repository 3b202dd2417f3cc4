package twilio

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/twilio/twiliotest"
	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/scheduling"
	"github.com/cita-city/cita/storage"
)

// Reminder reconciliation (issue 13, finding 3): with Twilio failing for
// longer than the queue retries, cancel and "delete my data" left the
// reminder scheduled with the code, office and time in its text. The
// reconcile job finds it by the code in its text and cancels it.

const (
	neighbour  = "+13125550143" // another resident, whose appointment stays
	stranger   = "+13125550144" // gets a message from another application
	otherMGSID = "MG00000000000000000000000000000002"
)

func TestCodesIn(t *testing.T) {
	f := newFixture(t)
	a := appointment(t, 2, 10) // code K7P2QX
	// Every locale's reminder carries the code where codesIn finds it.
	for _, lang := range f.ch.c.Program.Languages {
		t.Run("reminder in "+lang, func(t *testing.T) {
			a := a
			a.Lang = lang
			rem, ok := f.ch.reminder(a, lang, f.now)
			if !ok {
				t.Fatal("no reminder")
			}
			if got := codesIn(rem.out.Body); !slices.Contains(got, a.Code) {
				t.Errorf("codesIn(%q) = %v, want %s among them", rem.out.Body, got, a.Code)
			}
		})
	}
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"none", "Your parcel arrives on Tuesday.", nil},
		{"after a colon, before a stop", "Code:K7P2QX.", []string{"K7P2QX"}},
		{"beside CJK", "预约码K7P2QX。", []string{"K7P2QX"}},
		{"in directional isolates", "الرمز \u2066K7P2QX\u2069.", []string{"K7P2QX"}},
		{"twice, once kept", "K7P2QX K7P2QX", []string{"K7P2QX"}},
		{"capitals of the right shape come along", "MARKET ST, code 9ZZ4RT", []string{"MARKET", "9ZZ4RT"}},
		// Not codes: outside the alphabet (0, 1, I, L, O), lower case,
		// too long or too short, or part of a longer token.
		{"outside the alphabet", "ABC123 OFFICE STREAL", nil},
		{"lower case", "k7p2qx", nil},
		{"seven", "K7P2QXY", nil},
		{"five", "K7P2Q", nil},
		{"inside a longer token", "xK7P2QX K7P2QX9 K7P2QX7", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := codesIn(tc.body); !slices.Equal(got, tc.want) {
				t.Errorf("codesIn(%q) = %v, want %v", tc.body, got, tc.want)
			}
		})
	}
}

// reconcileFixture is a fixture with a real store holding two booked
// appointments: gone (the resident's, about to go) and kept (the
// neighbour's), each with its reminder scheduled at the fake, and two
// scheduled messages that are not ours: one through our Messaging Service
// without a code, one through another service with a code-shaped word.
type reconcileFixture struct {
	*fixture
	store      *storage.Store
	gone, kept scheduling.Appointment
	// SIDs at the fake.
	goneSID, keptSID, noCode, otherService string
}

func newReconcileFixture(t *testing.T) *reconcileFixture {
	f := &reconcileFixture{fixture: newFixture(t)}
	store, err := storage.Open(filepath.Join(t.TempDir(), "cita.db"), storage.Options{Location: f.ch.c.Program.Location})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := store.Check(); err != nil {
			t.Errorf("store invariants: %v", err)
		}
		store.Close()
	})
	f.store = store
	f.gone, f.kept = appointment(t, 2, 10), appointment(t, 3, 14)
	f.kept.Code = "M4W9ZT"
	for i, a := range []*scheduling.Appointment{&f.gone, &f.kept} {
		a.Identity = scheduling.Identity{Epoch: 1, Hash: sha256.Sum256(fmt.Append(nil, i))}
		a.Made = scheduling.DateOf(f.now.In(f.ch.c.Program.Location))
		if err := store.Insert(*a, 1); err != nil {
			t.Fatal(err)
		}
	}
	f.scheduleReminder(resident, f.gone)
	f.scheduleReminder(neighbour, f.kept)
	f.goneSID, f.keptSID = f.twilio.Scheduled(resident)[0].SID, f.twilio.Scheduled(neighbour)[0].SID
	sendAt := f.now.Add(48 * time.Hour)
	f.noCode = f.twilio.Schedule(stranger, "Your library books are due on Friday.", twiliotest.ServiceSID, sendAt)
	f.otherService = f.twilio.Schedule(stranger, "Parcel 9ZZ4RT arrives Friday.", otherMGSID, sendAt)
	return f
}

// status returns the status of sid at the fake, or "deleted".
func (f *reconcileFixture) status(sid string) string {
	if m, ok := f.twilio.Message(sid); ok {
		return m.Status
	}
	for _, m := range f.twilio.Deleted() {
		if m.SID == sid {
			return "deleted while " + m.Status
		}
	}
	return "never there"
}

func TestReconcileCatchesWhatAnOutageLeft(t *testing.T) {
	for _, tc := range []struct {
		name   string
		effect conversations.EffectKind
		// store does to the resident's appointment what the engine does.
		store func(s *storage.Store, code string) error
	}{
		{"cancel", conversations.Cancelled, func(s *storage.Store, code string) error {
			_, err := s.SetStatus(code, scheduling.StatusCancelled)
			return err
		}},
		{"delete my data", conversations.Forgotten, (*storage.Store).Delete},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newReconcileFixture(t)
			if err := tc.store(f.store, f.gone.Code); err != nil {
				t.Fatal(err)
			}
			// Twilio answers 500 to every message call for longer than the
			// queue's four tries (1+2+4 ms of backoff here, ~7 s in
			// production, against an outage of ~10 s in the review).
			const outage = time.Second // far longer than 4 tries take here, even on a loaded machine
			overGET := f.twilio.FailFor("GET", "/Messages", 500, outage)
			overPOST := f.twilio.FailFor("POST", "/Messages", 500, outage)
			f.say("SM70", conversations.Effect{Kind: tc.effect, Appointment: f.gone})
			if !strings.Contains(f.logs.String(), "twilio call failed") || !strings.Contains(f.logs.String(), "attempts=4") {
				t.Fatalf("the queue did not give up after 4 tries:\n%s", f.logs.String())
			}
			if got := f.status(f.goneSID); got != "scheduled" {
				t.Fatalf("after the outage the reminder is %s; the finding was that it stays scheduled", got)
			}
			<-overGET
			<-overPOST

			rep, err := f.ch.Reconcile(context.Background(), f.store)
			if err != nil {
				t.Fatal(err)
			}
			if want := (Reconciled{Kept: 1, Cancelled: 1, Deleted: 1, Others: 1}); rep != want {
				t.Errorf("reconcile: %+v, want %+v", rep, want)
			}
			for _, c := range []struct{ sid, want string }{
				{f.goneSID, "deleted while canceled"},
				{f.keptSID, "scheduled"},
				{f.noCode, "scheduled"},
				{f.otherService, "scheduled"},
			} {
				if got := f.status(c.sid); got != c.want {
					t.Errorf("message %s: %s, want %s", c.sid, got, c.want)
				}
			}
			// Again: nothing left to do, and nothing is asked of Twilio but
			// the listing.
			posts := f.twilio.Count("POST", "/Messages/")
			if rep, err := f.ch.Reconcile(context.Background(), f.store); err != nil || rep != (Reconciled{Kept: 1, Others: 1}) {
				t.Errorf("second run: %+v, %v; want only the kept and the other", rep, err)
			}
			if n := f.twilio.Count("POST", "/Messages/") + f.twilio.Count("DELETE", "/Messages/"); n != posts+1 {
				// +1: the delete of the first run.
				t.Errorf("second run made %d calls besides listing", n-posts-1)
			}
		})
	}
}

// A reminder the queue cancelled (the usual case: no outage) still holds
// the code, office and time at Twilio until reconciliation deletes it.
func TestReconcileDeletesCancelledReminders(t *testing.T) {
	f := newReconcileFixture(t)
	if _, err := f.store.SetStatus(f.gone.Code, scheduling.StatusCancelled); err != nil {
		t.Fatal(err)
	}
	f.say("SM71", conversations.Effect{Kind: conversations.Cancelled, Appointment: f.gone})
	if got := f.status(f.goneSID); got != "canceled" {
		t.Fatalf("reminder %s after cancel, want canceled", got)
	}
	rep, err := f.ch.Reconcile(context.Background(), f.store)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Reconciled{Kept: 1, Deleted: 1, Others: 1}); rep != want {
		t.Errorf("reconcile: %+v, want %+v", rep, want)
	}
	if got := f.status(f.goneSID); got != "deleted while canceled" {
		t.Errorf("cancelled reminder: %s, want deleted", got)
	}
}

func TestReconcileDuringAnOutage(t *testing.T) {
	for _, tc := range []struct {
		name, method, path string
	}{
		{"listing fails", "GET", "/Messages.json"},
		{"cancel fails", "POST", "/Messages/SM"},
		{"delete fails", "DELETE", "/Messages/SM"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newReconcileFixture(t)
			if err := f.store.Delete(f.gone.Code); err != nil {
				t.Fatal(err)
			}
			over := f.twilio.FailFor(tc.method, tc.path, 503, time.Second)
			rep, err := f.ch.Reconcile(context.Background(), f.store)
			if err == nil || !strings.Contains(err.Error(), "status 503") {
				t.Errorf("reconcile during the outage: %+v, %v; want an error with the status", rep, err)
			}
			if f.status(f.keptSID) != "scheduled" || f.status(f.noCode) != "scheduled" {
				t.Errorf("the outage touched what must stay")
			}
			<-over
			if _, err := f.ch.Reconcile(context.Background(), f.store); err != nil {
				t.Fatalf("after the outage: %v", err)
			}
			if got := f.status(f.goneSID); got != "deleted while canceled" {
				t.Errorf("after the outage the reminder is %s, want deleted while canceled", got)
			}
		})
	}
}

// Twilio may refuse to delete a message just cancelled (409, error
// 20009): not a failure, the next run deletes it.
func TestReconcileDeleteRefusedRightAfterCancel(t *testing.T) {
	f := newReconcileFixture(t)
	if err := f.store.Delete(f.gone.Code); err != nil {
		t.Fatal(err)
	}
	f.twilio.Fail("DELETE", "/Messages/SM", 409, 1)
	rep, err := f.ch.Reconcile(context.Background(), f.store)
	if want := (Reconciled{Kept: 1, Cancelled: 1, Undeleted: 1, Others: 1}); err != nil || rep != want {
		t.Errorf("first run: %+v, %v; want %+v and no error", rep, err, want)
	}
	if got := f.status(f.goneSID); got != "canceled" {
		t.Errorf("after the first run the reminder is %s, want canceled", got)
	}
	rep, err = f.ch.Reconcile(context.Background(), f.store)
	if want := (Reconciled{Kept: 1, Deleted: 1, Others: 1}); err != nil || rep != want {
		t.Errorf("second run: %+v, %v; want %+v", rep, err, want)
	}
}

// Shutdown ends a run between calls.
func TestReconcileStopsWithContext(t *testing.T) {
	f := newReconcileFixture(t)
	if err := f.store.Delete(f.gone.Code); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.ch.Reconcile(ctx, f.store); err == nil {
		t.Error("a cancelled run reported success")
	}
	if got := f.status(f.goneSID); got != "scheduled" {
		t.Errorf("a cancelled run acted: reminder %s", got)
	}
}

// Twilio lists 1,000 messages a page at most: a reminder on the second
// page is found.
func TestReconcilePages(t *testing.T) {
	f := newReconcileFixture(t)
	if err := f.store.Delete(f.gone.Code); err != nil {
		t.Fatal(err)
	}
	// Newer than the reminders, so listed first (Twilio lists newest first).
	f.now = f.now.Add(time.Minute)
	for i := range 1100 {
		f.twilio.Sent(cityNum, stranger, fmt.Sprintf("Reply %d", i), f.now)
	}
	rep, err := f.ch.Reconcile(context.Background(), f.store)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.twilio.Count("GET", "/Messages.json"); n != 2 {
		t.Errorf("%d pages listed, want 2", n)
	}
	if rep.Cancelled != 1 || f.status(f.goneSID) != "deleted while canceled" {
		t.Errorf("the reminder on page 2 was not cancelled: %+v, %s", rep, f.status(f.goneSID))
	}
}

// BenchmarkReconcile is one hourly run over 20,000 reminders of active
// appointments at the fake (20 pages): what serve spends when nothing
// needs cancelling.
func BenchmarkReconcile(b *testing.B) {
	const n = 20000
	now := testNow
	fake := twiliotest.New(func() time.Time { return now })
	defer fake.Close()
	store, err := storage.Open(filepath.Join(b.TempDir(), "cita.db"), storage.Options{Location: scheduling.Demo().Location, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	start := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)
	for i := range n {
		code := fmt.Sprintf("%c%c%c%c%c%c", scheduling.CodeAlphabet[i%31], scheduling.CodeAlphabet[i/31%31], scheduling.CodeAlphabet[i/961%31], 'Z', 'Z', 'Z')
		a := scheduling.Appointment{Identity: scheduling.Identity{Epoch: 1, Hash: sha256.Sum256(fmt.Append(nil, i))},
			Office: "city-hall", Start: start, Lang: "en", Code: code, Status: scheduling.StatusBooked,
			Made: scheduling.DateOf(now)}
		if err := store.Insert(a, n); err != nil {
			b.Fatal(err)
		}
		fake.Schedule(resident, "Reminder: CityKey appointment Wed 2 Dec at 9:00 AM, City Hall, 121 N LaSalle St. Code "+code+". Bring your documents.",
			twiliotest.ServiceSID, start.Add(-24*time.Hour))
	}
	hc, err := HTTPClient(fake.URL, 30*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	tw := NewTwilio(twiliotest.AccountSID, twiliotest.AuthToken, twiliotest.ServiceSID, hc)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b.ResetTimer()
	for b.Loop() {
		rep, err := Reconcile(context.Background(), tw, store, log)
		if err != nil || rep.Kept != n {
			b.Fatalf("%+v, %v", rep, err)
		}
	}
}
