package scheduling

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const serviceProgram = `name = "Service"
time_zone = "America/Chicago"
phone_region = "US"
languages = ["en", "es"]
horizon_days = 30
lead_time = "2h"
changes_per_day = 3
reminder_lead = "24h"

[[office]]
id = "main"
name = { en = "Main" }
address = "1 Main St"
slot_minutes = 15
desks = 2
hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"], thu = ["09:00-17:00"], fri = ["09:00-17:00"] }

[[office]]
id = "tiny"
name = { en = "Tiny" }
address = "2 Main St"
slot_minutes = 30
desks = 1
hours = { tue = ["10:00-11:00"] }

[[closure]]
date = 2026-12-25
`

var chicago = func() *time.Location {
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at is a wall-clock time in Chicago.
func at(month time.Month, day, hour, min int) time.Time {
	return time.Date(2026, month, day, hour, min, 0, 0, chicago)
}

// monday is the tests' usual now: Monday 2026-11-30, 08:00 in Chicago.
var monday = at(11, 30, 8, 0)

// person returns a distinct identity under key epoch 2.
func person(n byte) Identity { return Identity{Epoch: 2, Hash: [32]byte{n}} }

func newTestService(t *testing.T) (*Service, *memStore) {
	t.Helper()
	st := newMemStore()
	return NewService(mustLoad(t, serviceProgram), st), st
}

func mustBook(t *testing.T, s *Service, id Identity, office string, start, now time.Time) Appointment {
	t.Helper()
	a, err := s.Book(id, "en", office, start, 1, now)
	if err != nil {
		t.Fatalf("Book %v: %v", start, err)
	}
	return a
}

func TestBookRules(t *testing.T) {
	tests := []struct {
		name   string
		office string
		start  time.Time
		setup  func(t *testing.T, s *Service) // books what must be there first
		want   error
	}{
		{name: "exactly the lead time ahead", office: "main", start: at(11, 30, 10, 0)},
		{name: "within the lead time", office: "main", start: at(11, 30, 9, 45), want: ErrNotBookable},
		{name: "in the past", office: "main", start: at(11, 27, 10, 0), want: ErrNotBookable},
		{name: "last day of the horizon", office: "main", start: at(12, 30, 16, 45)},
		{name: "past the horizon", office: "main", start: at(12, 31, 9, 0), want: ErrNotBookable},
		{name: "closure", office: "main", start: at(12, 25, 10, 0), want: ErrNotBookable},
		{name: "no hours on Sunday", office: "main", start: at(12, 6, 10, 0), want: ErrNotBookable},
		{name: "before opening", office: "main", start: at(12, 1, 8, 45), want: ErrNotBookable},
		{name: "at closing time", office: "main", start: at(12, 1, 17, 0), want: ErrNotBookable},
		{name: "off the slot grid", office: "main", start: at(12, 1, 9, 5), want: ErrNotBookable},
		{name: "unknown office", office: "nowhere", start: at(12, 1, 10, 0), want: ErrUnknownOffice},
		// The same instant written in UTC is the same slot.
		{name: "start in UTC", office: "main", start: at(12, 1, 10, 0).UTC()},
		{
			name: "already booked", office: "main", start: at(12, 1, 10, 0), want: ErrAlreadyBooked,
			setup: func(t *testing.T, s *Service) { mustBook(t, s, person(1), "main", at(12, 2, 10, 0), monday) },
		},
		{
			name: "slot full", office: "main", start: at(12, 1, 10, 0), want: ErrSlotFull,
			setup: func(t *testing.T, s *Service) {
				mustBook(t, s, person(2), "main", at(12, 1, 10, 0), monday)
				mustBook(t, s, person(3), "main", at(12, 1, 10, 0), monday)
			},
		},
		{
			name: "one seat left", office: "main", start: at(12, 1, 10, 0),
			setup: func(t *testing.T, s *Service) { mustBook(t, s, person(2), "main", at(12, 1, 10, 0), monday) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestService(t)
			if tt.setup != nil {
				tt.setup(t, s)
			}
			a, err := s.Book(person(1), "es", tt.office, tt.start, 1, monday)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Book = %v, want %v", err, tt.want)
			}
			if err != nil {
				if errors.Is(tt.want, ErrUnknownOffice) && !errors.Is(err, ErrNotBookable) {
					t.Errorf("Book = %v, want it to wrap ErrNotBookable too", err)
				}
				return
			}
			want := Appointment{
				Identity: person(1), Office: tt.office, Start: tt.start.In(chicago),
				Lang: "es", Code: a.Code, Status: StatusBooked, Made: Date{2026, 11, 30}, Party: 1,
			}
			if diff := cmp.Diff(want, a); diff != "" {
				t.Errorf("appointment (-want +got):\n%s", diff)
			}
			if !ValidCode(a.Code) {
				t.Errorf("code %q", a.Code)
			}
		})
	}
}

func TestBookDetails(t *testing.T) {
	s, _ := newTestService(t)
	// 23:30 in Chicago is already the next day in UTC: Made is the local day.
	late := at(11, 30, 23, 30)
	a := mustBook(t, s, person(1), "main", at(12, 1, 10, 0), late)
	if a.Made != (Date{2026, 11, 30}) {
		t.Errorf("Made = %v", a.Made)
	}
	if a.Start.Location() != s.Program().Location {
		t.Errorf("Start in %v", a.Start.Location())
	}
	b, err := s.Book(person(2), "fr", "main", at(12, 1, 10, 0), 1, monday)
	if err != nil || b.Lang != "en" {
		t.Errorf("Book in an unoffered language = %q, %v; want the first language", b.Lang, err)
	}
	_, err = s.Book(Identity{}, "en", "main", at(12, 1, 11, 0), 1, monday)
	if err == nil {
		t.Error("Book for the zero identity succeeded")
	}
	_, err = s.Book(person(3), "en", "main", at(12, 25, 10, 0), 1, monday)
	if want := "book main 2026-12-25 10:00 CST: not a bookable slot: closed on 2026-12-25"; err == nil || err.Error() != want {
		t.Errorf("Book = %v, want %q", err, want)
	}
}

// repeat is an endless stream of one code's bytes.
type repeat []byte

func (r repeat) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r[i%len(r)]
	}
	return len(p), nil
}

func TestBookCodeCollision(t *testing.T) {
	s, st := newTestService(t)
	s.SetRand(bytes.NewReader([]byte{0, 0, 0, 0, 0, 0}))
	mustBook(t, s, person(1), "main", at(12, 1, 10, 0), monday) // code 222222

	// The next draw repeats 222222, then gives 333333.
	s.SetRand(bytes.NewReader([]byte{0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1}))
	a := mustBook(t, s, person(2), "main", at(12, 1, 10, 0), monday)
	if a.Code != "333333" {
		t.Errorf("code after a collision = %q, want 333333", a.Code)
	}

	// A source that only ever repeats a taken code fails, and the failed
	// attempt leaves nothing behind.
	s.SetRand(repeat{0})
	_, err := s.Book(person(3), "en", "main", at(12, 1, 11, 0), 1, monday)
	if !errors.Is(err, ErrCodeTaken) {
		t.Fatalf("Book = %v, want ErrCodeTaken", err)
	}
	if _, err := st.Find(person(3)); !errors.Is(err, ErrNotFound) {
		t.Errorf("after the failed Book, Find = %v", err)
	}
	s.SetRand(nil)
	mustBook(t, s, person(3), "main", at(12, 1, 11, 0), monday)
}

func TestChangeLimit(t *testing.T) {
	s, _ := newTestService(t)
	me := []Identity{person(1)}
	steps := []struct {
		name string
		do   func(now time.Time) error
		want error
	}{
		{"book", func(now time.Time) error { _, err := s.Book(me[0], "en", "main", at(12, 1, 10, 0), 1, now); return err }, nil},
		{"reschedule", func(now time.Time) error { _, err := s.Reschedule(me, "main", at(12, 1, 11, 0), 0, now); return err }, nil},
		{"reschedule to where it is: no change", func(now time.Time) error { _, err := s.Reschedule(me, "main", at(12, 1, 11, 0), 0, now); return err }, nil},
		{"reschedule again", func(now time.Time) error { _, err := s.Reschedule(me, "main", at(12, 1, 12, 0), 0, now); return err }, nil},
		{"a fourth change", func(now time.Time) error { _, err := s.Reschedule(me, "main", at(12, 1, 13, 0), 0, now); return err }, ErrTooManyChanges},
		{"cancel is never refused", func(now time.Time) error { _, err := s.Cancel(me, now); return err }, nil},
		{"book after the limit", func(now time.Time) error { _, err := s.Book(me[0], "en", "main", at(12, 1, 10, 0), 1, now); return err }, ErrTooManyChanges},
	}
	for _, st := range steps {
		if err := st.do(monday); !errors.Is(err, st.want) {
			t.Fatalf("%s: %v, want %v", st.name, err, st.want)
		}
	}
	// Someone else is not affected, and the count starts over the next
	// local day (which starts before midnight UTC).
	mustBook(t, s, person(2), "main", at(12, 1, 10, 0), monday)
	mustBook(t, s, person(1), "main", at(12, 1, 10, 0), at(12, 1, 0, 1))
	s.mu.Lock()
	n := len(s.changes)
	s.mu.Unlock()
	if n != 1 {
		t.Errorf("%d change counts kept after the day changed, want 1", n)
	}
}

func TestFailedChangesDoNotCount(t *testing.T) {
	s, _ := newTestService(t)
	me := person(1)
	for range 5 {
		if _, err := s.Book(me, "en", "main", at(12, 25, 10, 0), 1, monday); !errors.Is(err, ErrNotBookable) {
			t.Fatalf("Book on a closure = %v", err)
		}
	}
	mustBook(t, s, person(2), "tiny", at(12, 1, 10, 0), monday)
	for range 5 {
		if _, err := s.Book(me, "en", "tiny", at(12, 1, 10, 0), 1, monday); !errors.Is(err, ErrSlotFull) {
			t.Fatalf("Book on a full slot = %v", err)
		}
	}
	mustBook(t, s, me, "main", at(12, 1, 10, 0), monday)
	for range 5 {
		if _, err := s.Reschedule([]Identity{me}, "tiny", at(12, 1, 10, 0), 0, monday); !errors.Is(err, ErrSlotFull) {
			t.Fatalf("Reschedule to a full slot = %v", err)
		}
	}
	for _, start := range []time.Time{at(12, 1, 11, 0), at(12, 1, 12, 0)} {
		if _, err := s.Reschedule([]Identity{me}, "main", start, 0, monday); err != nil {
			t.Fatalf("Reschedule = %v; failed attempts were counted", err)
		}
	}
}

func TestRescheduleCancelForget(t *testing.T) {
	s, st := newTestService(t)
	old := Identity{Epoch: 1, Hash: [32]byte{9}}
	ids := []Identity{{Epoch: 2, Hash: [32]byte{9}}, old} // one resident, two key epochs

	booked := mustBook(t, s, old, "main", at(12, 1, 10, 0), monday)
	if a, err := s.Find(ids); err != nil || a.Code != booked.Code {
		t.Fatalf("Find = %v, %v", a, err)
	}

	moved, err := s.Reschedule(ids, "tiny", at(12, 8, 10, 30), 0, monday)
	if err != nil {
		t.Fatal(err)
	}
	if moved.Code != booked.Code || moved.Office != "tiny" || !moved.Start.Equal(at(12, 8, 10, 30)) {
		t.Errorf("moved = %+v", moved)
	}
	if taken, _ := st.Taken("main", at(12, 1, 0, 0), at(12, 2, 0, 0)); len(taken) != 0 {
		t.Errorf("old slot still taken: %v", taken)
	}

	// A full slot refuses the move and leaves the appointment where it was.
	mustBook(t, s, person(2), "tiny", at(12, 8, 10, 0), monday)
	if _, err := s.Reschedule(ids, "tiny", at(12, 8, 10, 0), 0, monday); !errors.Is(err, ErrSlotFull) {
		t.Errorf("Reschedule to a full slot = %v", err)
	}
	if _, err := s.Reschedule(ids, "main", at(12, 25, 10, 0), 0, monday); !errors.Is(err, ErrNotBookable) {
		t.Errorf("Reschedule to a closure = %v", err)
	}
	if a, _ := s.Find(ids); !a.Start.Equal(at(12, 8, 10, 30)) {
		t.Errorf("after refused moves, start = %v", a.Start)
	}

	cancelled, err := s.Cancel(ids, monday)
	if err != nil || cancelled.Status != StatusCancelled || !cancelled.Identity.IsZero() {
		t.Fatalf("Cancel = %+v, %v", cancelled, err)
	}
	for name, err := range map[string]error{
		"Find":       errOf(s.Find(ids)),
		"Cancel":     errOf(s.Cancel(ids, monday)),
		"Reschedule": errOf(s.Reschedule(ids, "main", at(12, 2, 10, 0), 0, monday)),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s after Cancel = %v, want ErrNotFound", name, err)
		}
	}

	tomorrow := at(12, 1, 8, 0)
	again := mustBook(t, s, ids[0], "main", at(12, 2, 10, 0), tomorrow)
	a, ok, err := s.Forget(ids, tomorrow)
	if err != nil || !ok || a.Code != again.Code {
		t.Fatalf("Forget = %+v, %v, %v", a, ok, err)
	}
	if _, err := st.ByCode(again.Code); !errors.Is(err, ErrNotFound) {
		t.Errorf("after Forget, ByCode = %v", err)
	}
	if _, ok, err := s.Forget(ids, tomorrow); ok || err != nil {
		t.Errorf("second Forget = %v, %v", ok, err)
	}
}

func TestCheckedInCannotChange(t *testing.T) {
	s, st := newTestService(t)
	ids := []Identity{person(1)}
	a := mustBook(t, s, ids[0], "main", at(11, 30, 10, 0), monday)
	if _, err := st.SetStatus(a.Code, StatusCheckedIn); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Reschedule(ids, "main", at(12, 1, 10, 0), 0, monday); !errors.Is(err, ErrNotFound) {
		t.Errorf("Reschedule = %v, want ErrNotFound", err)
	}
	if _, err := s.Cancel(ids, monday); !errors.Is(err, ErrNotFound) {
		t.Errorf("Cancel = %v, want ErrNotFound", err)
	}
	if got, err := s.Find(ids); err != nil || got.Status != StatusCheckedIn {
		t.Errorf("Find = %v, %v", got, err)
	}
}

func errOf[T any](_ T, err error) error { return err }

func TestDaysAndFreeSlots(t *testing.T) {
	s, _ := newTestService(t)
	tuesdays := []Date{{2026, 12, 1}, {2026, 12, 8}, {2026, 12, 15}, {2026, 12, 22}, {2026, 12, 29}}
	days, err := s.Days("tiny", 1, monday)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tuesdays, days); diff != "" {
		t.Errorf("Days (-want +got):\n%s", diff)
	}

	mustBook(t, s, person(1), "tiny", at(12, 1, 10, 0), monday)
	free, err := s.FreeSlots("tiny", Date{2026, 12, 1}, 1, monday)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Slot{{Office: "tiny", Start: at(12, 1, 10, 30), Free: 1}}, free); diff != "" {
		t.Errorf("FreeSlots (-want +got):\n%s", diff)
	}
	mustBook(t, s, person(2), "tiny", at(12, 1, 10, 30), monday)
	if days, _ := s.Days("tiny", 1, monday); !cmp.Equal(tuesdays[1:], days) {
		t.Errorf("Days with 12-01 full = %v", days)
	}

	// On Tuesday at 08:31 both slots are within the lead time.
	if days, _ := s.Days("tiny", 1, at(12, 8, 8, 31)); !cmp.Equal(tuesdays[2:], days[:3]) {
		t.Errorf("Days on 12-08 at 08:31 = %v", days)
	}
	if free, _ := s.FreeSlots("tiny", Date{2026, 12, 8}, 1, at(12, 8, 8, 31)); len(free) != 0 {
		t.Errorf("FreeSlots within the lead time = %v", free)
	}

	mustBook(t, s, person(3), "main", at(12, 2, 9, 0), monday)
	free, _ = s.FreeSlots("main", Date{2026, 12, 2}, 1, monday)
	if len(free) != 32 || free[0].Free != 1 || free[1].Free != 2 {
		t.Errorf("FreeSlots(main) = %d slots, %+v", len(free), free[:2])
	}
	for name, d := range map[string]Date{"past": {2026, 11, 29}, "beyond the horizon": {2026, 12, 31}, "closure": {2026, 12, 25}} {
		if free, err := s.FreeSlots("main", d, 1, monday); len(free) != 0 || err != nil {
			t.Errorf("FreeSlots %s = %v, %v", name, free, err)
		}
	}
	for name, err := range map[string]error{
		"Days":                         errOf(s.Days("nowhere", 1, monday)),
		"FreeSlots":                    errOf(s.FreeSlots("nowhere", Date{2026, 12, 1}, 1, monday)),
		"FreeSlots beyond the horizon": errOf(s.FreeSlots("nowhere", Date{2027, 12, 1}, 1, monday)),
		"Nearest":                      errOf(s.Nearest("nowhere", monday, 1, 3, monday)),
	} {
		if !errors.Is(err, ErrUnknownOffice) {
			t.Errorf("%s of an unknown office = %v", name, err)
		}
	}
	if _, _, err := s.Earliest("nowhere", 1, monday); !errors.Is(err, ErrUnknownOffice) {
		t.Errorf("Earliest of an unknown office = %v", err)
	}
}

func TestEarliest(t *testing.T) {
	s, _ := newTestService(t)
	tests := []struct {
		name   string
		office string
		now    time.Time
		want   time.Time
		ok     bool
	}{
		{"today after the lead time", "main", monday, at(11, 30, 10, 0), true},
		{"lead time rounds up to the next slot", "main", at(11, 30, 8, 5), at(11, 30, 10, 15), true},
		{"over a closure and a weekend", "main", at(12, 24, 16, 0), at(12, 28, 9, 0), true},
		{"next Tuesday", "tiny", at(12, 1, 9, 0), at(12, 8, 10, 0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sl, ok, err := s.Earliest(tt.office, 1, tt.now)
			if err != nil || ok != tt.ok || !sl.Start.Equal(tt.want) {
				t.Errorf("Earliest = %v, %v, %v; want %v", sl.Start, ok, err, tt.want)
			}
		})
	}

	// A program with one day's horizon and every slot of tiny taken.
	p := mustLoad(t, serviceProgram)
	p.HorizonDays = 1
	short := NewService(p, newMemStore())
	mustBook(t, short, person(1), "tiny", at(12, 1, 10, 0), monday)
	mustBook(t, short, person(2), "tiny", at(12, 1, 10, 30), monday)
	if sl, ok, err := short.Earliest("tiny", 1, monday); ok || err != nil {
		t.Errorf("Earliest with nothing free = %v, %v, %v", sl, ok, err)
	}
}

func TestNearest(t *testing.T) {
	s, _ := newTestService(t)
	full := at(12, 1, 10, 0)
	mustBook(t, s, person(1), "main", full, monday)
	mustBook(t, s, person(2), "main", full, monday)
	mustBook(t, s, person(3), "main", at(12, 1, 10, 15), monday)

	starts := func(slots []Slot) []string {
		var out []string
		for _, sl := range slots {
			out = append(out, sl.Start.Format("01-02 15:04"))
		}
		return out
	}
	tests := []struct {
		name  string
		start time.Time
		n     int
		want  []string
	}{
		// Equally close slots: the earlier first.
		{"around a full slot", full, 5, []string{"12-01 09:45", "12-01 10:15", "12-01 09:30", "12-01 10:30", "12-01 09:15"}},
		{"a free slot is its own nearest", at(12, 1, 11, 0), 2, []string{"12-01 11:00", "12-01 10:45"}},
		// Across the night: Tuesday 16:45 is nearer than Wednesday 09:00.
		{"between days", at(12, 1, 20, 0), 2, []string{"12-01 16:45", "12-01 16:30"}},
		{"none asked", full, 0, nil},
		{"more asked than the horizon holds", full, 1 << 20, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Nearest("main", tt.start, 1, tt.n, monday)
			if err != nil {
				t.Fatal(err)
			}
			if tt.n == 1<<20 {
				// 22 open weekdays of 32 slots, less today's four before
				// 10:00 (the lead time) and the full 10:00 on 12-01.
				if len(got) != 22*32-4-1 {
					t.Errorf("%d slots", len(got))
				}
				return
			}
			if diff := cmp.Diff(tt.want, starts(got)); diff != "" {
				t.Errorf("Nearest (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLastSeat races more bookers than desks for one slot: exactly the
// desks win and the rest are told the slot is full.
func TestLastSeat(t *testing.T) {
	s, st := newTestService(t)
	start := at(12, 1, 10, 0)
	const bookers = 20
	errs := make([]error, bookers)
	var wg sync.WaitGroup
	for i := range bookers {
		wg.Go(func() {
			_, errs[i] = s.Book(person(byte(i+1)), "en", "main", start, 1, monday)
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrSlotFull):
			t.Errorf("Book = %v", err)
		}
	}
	if taken, _ := st.Taken("main", start, start.Add(time.Minute)); won != 2 || taken[start.Unix()] != 2 {
		t.Errorf("%d won, %v taken; want 2", won, taken)
	}
}

// TestParty books families: a party takes as many seats of one slot as it
// has people, only slots with room for it are offered, and moving it may
// change its size.
func TestParty(t *testing.T) {
	st := newMemStore()
	p := mustLoad(t, strings.Replace(serviceProgram, "changes_per_day = 3", "changes_per_day = 9\nmax_party = 2", 1))
	s := NewService(p, st)
	ten, quarter := at(12, 1, 10, 0), at(12, 1, 10, 15)

	for _, tt := range []struct {
		name  string
		party int
		want  error
	}{
		{"no one", 0, ErrPartySize},
		{"above max_party", 3, ErrPartySize},
		{"negative", -1, ErrPartySize},
	} {
		if _, err := s.Book(person(1), "en", "main", ten, tt.party, monday); !errors.Is(err, tt.want) {
			t.Errorf("%s: Book = %v, want %v", tt.name, err, tt.want)
		}
	}
	a, err := s.Book(person(1), "en", "main", ten, 2, monday)
	if err != nil || a.Party != 2 || a.People() != 2 {
		t.Fatalf("Book party of 2 = %+v, %v", a, err)
	}
	// main has 2 desks: the family filled 10:00.
	if _, err := s.Book(person(2), "en", "main", ten, 1, monday); !errors.Is(err, ErrSlotFull) {
		t.Errorf("Book a third person at 10:00 = %v, want ErrSlotFull", err)
	}
	mustBook(t, s, person(3), "main", quarter, monday)
	// 10:15 has one seat left: a party of 2 skips it everywhere it looks.
	free, err := s.FreeSlots("main", Date{2026, 12, 1}, 2, monday)
	if err != nil || len(free) < 6 || !free[3].Start.Equal(at(12, 1, 9, 45)) || !free[4].Start.Equal(at(12, 1, 10, 30)) {
		t.Errorf("FreeSlots(party 2) = %+v, %v; want 09:00-09:45, then 10:30", free[:min(6, len(free))], err)
	}
	if one, _ := s.FreeSlots("main", Date{2026, 12, 1}, 1, monday); len(one) != len(free)+1 {
		t.Errorf("FreeSlots(party 1) = %d slots, want %d", len(one), len(free)+1)
	}
	near, err := s.Nearest("main", quarter, 2, 1, monday)
	if err != nil || len(near) != 1 || near[0].Start.Equal(quarter) || near[0].Start.Equal(ten) {
		t.Errorf("Nearest(party 2) = %+v, %v", near, err)
	}
	// tiny (1 desk) never fits two: the earliest anywhere is at main.
	if sl, ok, err := s.EarliestAny(2, monday); err != nil || !ok || sl.Office != "main" {
		t.Errorf("EarliestAny(2) = %+v, %v, %v", sl, ok, err)
	}
	if _, ok, _ := s.Earliest("tiny", 2, monday); ok {
		t.Error("Earliest(tiny, party 2) found a slot with one desk")
	}
	// The lead time (2h) makes Monday 10:00 the first bookable time.
	if sl, ok, _ := s.EarliestAny(1, monday); !ok || !sl.Start.Equal(at(11, 30, 10, 0)) {
		t.Errorf("EarliestAny(1) = %+v, want main Monday 10:00", sl)
	}

	// Moving the family to 10:15 (one seat left) fails for two, works for one.
	ids := []Identity{person(1)}
	if _, err := s.Reschedule(ids, "main", quarter, 0, monday); !errors.Is(err, ErrSlotFull) {
		t.Errorf("Reschedule party of 2 to a slot with 1 seat = %v, want ErrSlotFull", err)
	}
	moved, err := s.Reschedule(ids, "main", quarter, 1, monday)
	if err != nil || moved.Party != 1 || moved.Code != a.Code {
		t.Errorf("Reschedule as a party of 1 = %+v, %v", moved, err)
	}
	// Growing in place needs the seats beside it: 10:15 is now full.
	if _, err := s.Reschedule(ids, "main", quarter, 2, monday); !errors.Is(err, ErrSlotFull) {
		t.Errorf("grow in place into a full slot = %v, want ErrSlotFull", err)
	}
	taken, _ := st.Taken("main", ten, ten.Add(time.Hour))
	if want := map[int64]int{quarter.Unix(): 2}; !cmp.Equal(want, taken) {
		t.Errorf("Taken = %v, want %v", taken, want)
	}
}
