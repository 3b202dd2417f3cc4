package scheduling

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// closedDays is a Closures closing the listed office/day pairs, or failing.
type closedDays struct {
	days map[string][]Date
	err  error
}

func (c closedDays) Closed(office string, d Date) (bool, error) {
	return slices.Contains(c.days[office], d), c.err
}

func (c closedDays) ClosedDays(office string, from, to Date) ([]Date, error) {
	var in []Date
	for _, d := range c.days[office] {
		if !d.Before(from) && d.Before(to) {
			in = append(in, d)
		}
	}
	return in, c.err
}

// TestRunTimeClosures checks that a day a manager closed (through
// Closures) is closed to every way of finding or taking a slot, for that
// office only.
func TestRunTimeClosures(t *testing.T) {
	s, _ := newTestService(t)
	tue := Date{2026, 12, 1}
	s.SetClosures(closedDays{days: map[string][]Date{"main": {tue}}})
	wed := Date{2026, 12, 2}

	days, err := s.Days("main", 1, monday)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(days, tue) || !slices.Contains(days, wed) {
		t.Errorf("Days = %v, want without %v and with %v", days, tue, wed)
	}
	if free, err := s.FreeSlots("main", tue, 1, monday); err != nil || len(free) != 0 {
		t.Errorf("FreeSlots on the closed day = %v, %v; want none", free, err)
	}
	if free, err := s.WalkInSlots("main", tue, at(12, 1, 10, 0)); err != nil || len(free) != 0 {
		t.Errorf("WalkInSlots on the closed day = %v, %v; want none", free, err)
	}
	if free, err := s.FreeSlots("tiny", tue, 1, monday); err != nil || len(free) == 0 {
		t.Errorf("FreeSlots of another office that day = %v, %v; want its slots", free, err)
	}
	// Monday is open; Tuesday closed: the earliest after Monday's last
	// slot is Wednesday's first.
	late := at(11, 30, 16, 0)
	if sl, ok, err := s.Earliest("main", 1, late); err != nil || !ok || !sl.Start.Equal(at(12, 2, 9, 0)) {
		t.Errorf("Earliest = %v, %v, %v; want Wednesday 09:00", sl, ok, err)
	}
	near, err := s.Nearest("main", at(12, 1, 12, 0), 1, 3, monday)
	if err != nil {
		t.Fatal(err)
	}
	for _, sl := range near {
		if DateOf(sl.Start) == tue {
			t.Errorf("Nearest offers %v, on the closed day", sl.Start)
		}
	}
	if _, err := s.Book(person(1), "en", "main", at(12, 1, 10, 0), 1, monday); !errors.Is(err, ErrNotBookable) {
		t.Errorf("Book on the closed day: %v, want ErrNotBookable", err)
	}
	if _, err := s.BookWalkIn(person(1), "en", "main", at(12, 1, 10, 0), 1, at(12, 1, 10, 5)); !errors.Is(err, ErrNotBookable) {
		t.Errorf("BookWalkIn on the closed day: %v, want ErrNotBookable", err)
	}
	mustBook(t, s, person(2), "main", at(12, 2, 10, 0), monday)
	if _, err := s.Reschedule([]Identity{person(2)}, "main", at(12, 1, 10, 0), 0, monday); !errors.Is(err, ErrNotBookable) {
		t.Errorf("Reschedule to the closed day: %v, want ErrNotBookable", err)
	}
}

// TestClosuresError checks that a failing Closures fails the call instead
// of offering a day that may be closed.
func TestClosuresError(t *testing.T) {
	s, _ := newTestService(t)
	boom := errors.New("disk on fire")
	s.SetClosures(closedDays{err: boom})
	if _, err := s.Days("main", 1, monday); !errors.Is(err, boom) {
		t.Errorf("Days: %v, want %v", err, boom)
	}
	if _, err := s.Book(person(1), "en", "main", at(12, 1, 10, 0), 1, monday); !errors.Is(err, boom) {
		t.Errorf("Book: %v, want %v", err, boom)
	}
}

// TestWalkIn checks that a walk-in skips the lead time and nothing else:
// the slot running now can be booked, one that has ended cannot.
func TestWalkIn(t *testing.T) {
	s, _ := newTestService(t)
	now := at(12, 1, 10, 7) // Tuesday; the 10:00 slot runs until 10:15
	if _, err := s.Book(person(1), "en", "main", at(12, 1, 10, 0), 1, now); !errors.Is(err, ErrNotBookable) {
		t.Fatalf("Book of the running slot: %v, want ErrNotBookable (lead time)", err)
	}
	free, err := s.WalkInSlots("main", DateOf(now), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(free) == 0 || !free[0].Start.Equal(at(12, 1, 10, 0)) {
		t.Fatalf("WalkInSlots start with %v, want the running 10:00 slot", free)
	}
	if normal, _ := s.FreeSlots("main", DateOf(now), 1, now); len(normal) >= len(free) {
		t.Errorf("FreeSlots has %d slots, WalkInSlots %d: want the lead time's slots fewer", len(normal), len(free))
	}
	tests := []struct {
		name  string
		start time.Time
		ok    bool
	}{
		{"running slot", at(12, 1, 10, 0), true},
		{"next slot", at(12, 1, 10, 15), true},
		{"ended slot", at(12, 1, 9, 45), false},
		{"not a slot start", at(12, 1, 10, 20), false},
		{"past the horizon", at(12, 1, 10, 0).AddDate(0, 0, 31), false},
		{"program closure", at(12, 25, 10, 0), false},
	}
	for i, tt := range tests {
		_, err := s.BookWalkIn(person(byte(10+i)), "en", "main", tt.start, 1, now)
		if tt.ok && err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if !tt.ok && !errors.Is(err, ErrNotBookable) {
			t.Errorf("%s: %v, want ErrNotBookable", tt.name, err)
		}
	}
	// Walk-ins follow the other rules: one appointment per identity.
	if _, err := s.BookWalkIn(person(10), "en", "main", at(12, 1, 11, 0), 1, now); !errors.Is(err, ErrAlreadyBooked) {
		t.Errorf("second walk-in: %v, want ErrAlreadyBooked", err)
	}
}
