package storage

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cita-city/cita/scheduling"
)

// seed stores: A (identity 1, north 9:00), B (identity 2, north 9:00),
// C (identity 3, south 9:00), all with capacity 2. North 9:00 is full.
func seed(t *testing.T) *Store {
	s := mustOpen(t)
	mustInsert(t, s, appt(1, "AAAA", "north", slot(9, 0)), 2)
	mustInsert(t, s, appt(2, "BBBB", "north", slot(9, 0)), 2)
	mustInsert(t, s, appt(3, "CCCC", "south", slot(9, 0)), 2)
	return s
}

func TestInsert(t *testing.T) {
	otherEpoch := appt(1, "EPOC", "north", slot(10, 0))
	otherEpoch.Identity.Epoch++
	nanos := appt(9, "NANO", "north", slot(10, 0).Add(time.Millisecond))
	noMade := appt(9, "MADE", "north", slot(10, 0))
	noMade.Made = scheduling.Date{}
	cancelled := appt(9, "CANC", "north", slot(10, 0))
	cancelled.Status = scheduling.StatusCancelled
	noIdentity := appt(9, "NOID", "north", slot(10, 0))
	noIdentity.Identity = scheduling.Identity{}
	unset := appt(9, "UNST", "north", slot(10, 0))
	unset.Status = 0

	insertTests := []struct {
		name     string
		a        scheduling.Appointment
		capacity int
		want     error // nil, a sentinel, or errAny for a validation error
	}{
		{"free seat", appt(9, "DDDD", "north", slot(10, 0)), 2, nil},
		{"free seat in a slot with one taken", appt(9, "DDDD", "south", slot(9, 0)), 2, nil},
		{"zero status means booked", unset, 2, nil},
		{"same hash under another epoch is another identity", otherEpoch, 2, nil},
		{"identity already booked elsewhere", appt(1, "DDDD", "south", slot(11, 0)), 2, scheduling.ErrAlreadyBooked},
		{"slot full", appt(9, "DDDD", "north", slot(9, 0)), 2, scheduling.ErrSlotFull},
		{"capacity zero", appt(9, "DDDD", "north", slot(12, 0)), 0, scheduling.ErrSlotFull},
		{"capacity lowered below taken", appt(9, "DDDD", "north", slot(9, 0)), 1, scheduling.ErrSlotFull},
		{"code taken", appt(9, "AAAA", "north", slot(10, 0)), 2, scheduling.ErrCodeTaken},
		// Checks run in the documented order: identity, seats, code.
		{"already booked beats slot full", appt(3, "DDDD", "north", slot(9, 0)), 2, scheduling.ErrAlreadyBooked},
		{"slot full beats code taken", appt(9, "CCCC", "north", slot(9, 0)), 2, scheduling.ErrSlotFull},

		{"start not on a whole second", nanos, 2, errAny},
		{"no day made", noMade, 2, errAny},
		{"status other than booked", cancelled, 2, errAny},
		{"no identity", noIdentity, 2, errAny},
		{"no office", appt(9, "DDDD", "", slot(10, 0)), 2, errAny},
		{"office with NUL would break keys", appt(9, "DDDD", "no\x00rth", slot(10, 0)), 2, errAny},
		{"no code", appt(9, "", "north", slot(10, 0)), 2, errAny},
	}
	for _, tt := range insertTests {
		t.Run(tt.name, func(t *testing.T) {
			s := seed(t)
			before := taken(t, s, tt.a.Office)
			err := s.Insert(tt.a, tt.capacity)
			checkErr(t, err, tt.want)
			got, gerr := s.ByCode(tt.a.Code)
			if tt.want != nil {
				if after := taken(t, s, tt.a.Office); !mapsEqual(before, after) {
					t.Errorf("failed insert changed seats: %v -> %v", before, after)
				}
				if seeded := tt.a.Code == "AAAA" || tt.a.Code == "CCCC"; seeded && got.Identity == tt.a.Identity ||
					!seeded && tt.a.Code != "" && !errors.Is(gerr, scheduling.ErrNotFound) {
					t.Errorf("failed insert stored a record: %+v, %v", got, gerr)
				}
				return
			}
			if gerr != nil {
				t.Fatal(gerr)
			}
			want := tt.a
			want.Status = scheduling.StatusBooked
			if !sameAppointment(got, want) {
				t.Errorf("stored\n %+v\nwant\n %+v", got, want)
			}
			if found, err := s.Find(tt.a.Identity); err != nil || found.Code != tt.a.Code {
				t.Errorf("Find = %v, %v", found.Code, err)
			}
		})
	}
}

func TestMove(t *testing.T) {
	moveTests := []struct {
		name     string
		code     string
		office   string
		start    time.Time
		capacity int
		want     error
	}{
		{"to a free slot", "AAAA", "north", slot(10, 0), 2, nil},
		{"to another office", "AAAA", "south", slot(9, 0), 2, nil},
		{"to a full slot", "CCCC", "north", slot(9, 0), 1, scheduling.ErrSlotFull}, // AAAA holds its one seat
		// Its own seat counts as taken, but staying put needs no seat.
		{"to the slot it has, full", "AAAA", "north", slot(9, 0), 2, nil},
		{"capacity zero", "AAAA", "north", slot(10, 0), 0, scheduling.ErrSlotFull},
		{"unknown code", "ZZZZ", "north", slot(10, 0), 2, scheduling.ErrNotFound},
		{"cancelled appointment", "BBBB", "north", slot(10, 0), 2, scheduling.ErrNotFound},
		{"bad start", "AAAA", "north", slot(10, 0).Add(time.Nanosecond), 2, errAny},
		{"no office", "AAAA", "", slot(10, 0), 2, errAny},
	}
	for _, tt := range moveTests {
		t.Run(tt.name, func(t *testing.T) {
			s := seed(t)
			if _, err := s.SetStatus("BBBB", scheduling.StatusCancelled); err != nil {
				t.Fatal(err)
			}
			before, _ := s.ByCode(tt.code)
			got, err := s.Move(tt.code, tt.office, tt.start, 0, tt.capacity)
			checkErr(t, err, tt.want)
			stored, _ := s.ByCode(tt.code)
			if tt.want != nil {
				if !sameAppointment(stored, before) {
					t.Errorf("failed move changed the record: %+v", stored)
				}
				return
			}
			if got.Office != tt.office || !got.Start.Equal(tt.start) || got.Start.Location() != chicago {
				t.Errorf("moved to %s %v, want %s %v in Chicago", got.Office, got.Start, tt.office, tt.start)
			}
			if !sameAppointment(stored, got) {
				t.Errorf("returned %+v, stored %+v", got, stored)
			}
			if got.Code != before.Code || got.Identity != before.Identity || got.Made != before.Made {
				t.Errorf("move changed more than the slot: %+v -> %+v", before, got)
			}
			if n := taken(t, s, tt.office)[tt.start.Unix()]; n < 1 {
				t.Errorf("new slot has %d seats taken", n)
			}
		})
	}
}

func TestSetStatus(t *testing.T) {
	const (
		booked    = scheduling.StatusBooked
		checkedIn = scheduling.StatusCheckedIn
		noShow    = scheduling.StatusNoShow
		cancelled = scheduling.StatusCancelled
	)
	statusTests := []struct {
		name         string
		from, to     scheduling.Status
		want         error
		seatTaken    bool // after the change
		findable     bool // Find by identity
		identityKept bool // hash still in the record
	}{
		{"check in", booked, checkedIn, nil, true, true, true},
		{"undo check-in", checkedIn, booked, nil, true, true, true},
		{"same status", booked, booked, nil, true, true, true},
		{"no-show keeps the seat, frees the identity", booked, noShow, nil, true, false, true},
		{"cancel releases seat and identity", booked, cancelled, nil, false, false, false},
		{"cancel after check-in", checkedIn, cancelled, nil, false, false, false},
		{"cancel a no-show", noShow, cancelled, nil, false, false, false},
		{"cancel twice", cancelled, cancelled, nil, false, false, false},
		{"revive cancelled", cancelled, booked, ErrStatusChange, false, false, false},
		{"undo no-show to checked-in", noShow, checkedIn, nil, true, true, true},
		{"undo no-show to booked", noShow, booked, nil, true, true, true},
		{"unknown status", booked, scheduling.Status(9), errAny, true, true, true},
		{"zero status", booked, 0, errAny, true, true, true},
	}
	for _, tt := range statusTests {
		t.Run(tt.name, func(t *testing.T) {
			s := seed(t)
			if tt.from != booked {
				if _, err := s.SetStatus("AAAA", tt.from); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.SetStatus("AAAA", tt.to)
			checkErr(t, err, tt.want)
			stored, _ := s.ByCode("AAAA")
			if tt.want == nil && (got.Status != tt.to || stored.Status != tt.to) {
				t.Errorf("status returned %v, stored %v, want %v", got.Status, stored.Status, tt.to)
			}
			if n := taken(t, s, "north")[slot(9, 0).Unix()]; (n == 2) != tt.seatTaken {
				t.Errorf("north 9:00 has %d seats taken, want seat taken %v", n, tt.seatTaken)
			}
			_, ferr := s.Find(ident(1))
			if (ferr == nil) != tt.findable {
				t.Errorf("Find: %v, want findable %v", ferr, tt.findable)
			}
			if (stored.Identity == ident(1)) != tt.identityKept || !tt.identityKept && !stored.Identity.IsZero() {
				t.Errorf("identity in record %+v, want kept %v (else zero)", stored.Identity, tt.identityKept)
			}
		})
	}
	t.Run("unknown code", func(t *testing.T) {
		_, err := seed(t).SetStatus("ZZZZ", cancelled)
		checkErr(t, err, scheduling.ErrNotFound)
	})
	t.Run("undo no-show after the identity booked again", func(t *testing.T) {
		s := seed(t)
		if _, err := s.SetStatus("AAAA", noShow); err != nil {
			t.Fatal(err)
		}
		mustInsert(t, s, appt(1, "DDDD", "north", slot(10, 0)), 2)
		_, err := s.SetStatus("AAAA", booked)
		checkErr(t, err, scheduling.ErrAlreadyBooked)
		if a, _ := s.ByCode("AAAA"); a.Status != noShow {
			t.Errorf("status %v after refused undo, want no-show", a.Status)
		}
	})
	t.Run("cancelled identity can book again", func(t *testing.T) {
		s := seed(t)
		if _, err := s.SetStatus("AAAA", cancelled); err != nil {
			t.Fatal(err)
		}
		mustInsert(t, s, appt(1, "DDDD", "north", slot(9, 0)), 2) // the freed seat
	})
}

func TestDelete(t *testing.T) {
	deleteTests := []struct {
		name   string
		status scheduling.Status
		want   error
	}{
		{"booked", scheduling.StatusBooked, nil},
		{"checked in", scheduling.StatusCheckedIn, nil},
		{"no-show", scheduling.StatusNoShow, nil},
		{"cancelled", scheduling.StatusCancelled, nil},
	}
	for _, tt := range deleteTests {
		t.Run(tt.name, func(t *testing.T) {
			s := seed(t)
			if tt.status != scheduling.StatusBooked {
				if _, err := s.SetStatus("AAAA", tt.status); err != nil {
					t.Fatal(err)
				}
			}
			checkErr(t, s.Delete("AAAA"), tt.want)
			if _, err := s.ByCode("AAAA"); !errors.Is(err, scheduling.ErrNotFound) {
				t.Errorf("ByCode after delete: %v", err)
			}
			if n := taken(t, s, "north")[slot(9, 0).Unix()]; n != 1 {
				t.Errorf("north 9:00 has %d seats taken, want 1 (BBBB)", n)
			}
			list, _ := s.Between("north", slot(0, 0), slot(23, 0))
			if len(list) != 1 || list[0].Code != "BBBB" {
				t.Errorf("Between after delete: %v", codes(list))
			}
		})
	}
	t.Run("unknown code", func(t *testing.T) {
		checkErr(t, seed(t).Delete("ZZZZ"), scheduling.ErrNotFound)
	})
	t.Run("twice", func(t *testing.T) {
		s := seed(t)
		checkErr(t, s.Delete("CCCC"), nil)
		checkErr(t, s.Delete("CCCC"), scheduling.ErrNotFound)
		if got := taken(t, s, "south"); len(got) != 0 {
			t.Errorf("south seats after deleting its only appointment: %v", got)
		}
	})
}

func TestFind(t *testing.T) {
	findTests := []struct {
		name string
		ids  []scheduling.Identity
		code string
		want error
	}{
		{"one identity", []scheduling.Identity{ident(2)}, "BBBB", nil},
		{"first of several with one", []scheduling.Identity{ident(8), ident(3)}, "CCCC", nil},
		{"first match wins", []scheduling.Identity{ident(3), ident(1)}, "CCCC", nil},
		{"zero identity skipped", []scheduling.Identity{{}, ident(1)}, "AAAA", nil},
		{"nobody", []scheduling.Identity{ident(8)}, "", scheduling.ErrNotFound},
		{"no ids", nil, "", scheduling.ErrNotFound},
		{"cancelled is not found", []scheduling.Identity{ident(4)}, "", scheduling.ErrNotFound},
	}
	s := seed(t)
	mustInsert(t, s, appt(4, "DDDD", "south", slot(10, 0)), 2)
	if _, err := s.SetStatus("DDDD", scheduling.StatusCancelled); err != nil {
		t.Fatal(err)
	}
	for _, tt := range findTests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := s.Find(tt.ids...)
			checkErr(t, err, tt.want)
			if a.Code != tt.code {
				t.Errorf("found %q, want %q", a.Code, tt.code)
			}
		})
	}
}

func TestByCode(t *testing.T) {
	s := seed(t)
	a, err := s.ByCode("CCCC")
	if err != nil {
		t.Fatal(err)
	}
	if want := appt(3, "CCCC", "south", slot(9, 0)); !sameAppointment(a, want) || a.Start.Location() != chicago {
		t.Errorf("got %+v, want %+v", a, want)
	}
	_, err = s.ByCode("ZZZZ")
	checkErr(t, err, scheduling.ErrNotFound)
}

func TestTaken(t *testing.T) {
	s := seed(t)
	mustInsert(t, s, appt(4, "DDDD", "north", slot(9, 30)), 2)
	mustInsert(t, s, appt(5, "EEEE", "north", slot(10, 0)), 2)
	mustInsert(t, s, appt(6, "FFFF", "north", slot(10, 0)), 2)
	mustInsert(t, s, appt(7, "GGGG", "north", day0.AddDays(1).In(chicago, 9, 0)), 2)
	mustInsert(t, s, appt(8, "HHHH", "northeast", slot(9, 30)), 2) // an office whose id extends another's
	if _, err := s.SetStatus("EEEE", scheduling.StatusCancelled); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetStatus("FFFF", scheduling.StatusNoShow); err != nil {
		t.Fatal(err)
	}
	u := func(h, m int) int64 { return slot(h, m).Unix() }
	takenTests := []struct {
		name     string
		office   string
		from, to time.Time
		want     map[int64]int
	}{
		{"the day", "north", slot(0, 0), day0.AddDays(1).In(chicago, 0, 0),
			map[int64]int{u(9, 0): 2, u(9, 30): 1, u(10, 0): 1}}, // no-show holds its seat, cancelled does not
		{"from is inclusive, to exclusive", "north", slot(9, 30), slot(10, 0), map[int64]int{u(9, 30): 1}},
		{"from with nanoseconds excludes that second", "north", slot(9, 0).Add(time.Nanosecond), slot(9, 31), map[int64]int{u(9, 30): 1}},
		{"other office", "south", slot(0, 0), slot(23, 0), map[int64]int{u(9, 0): 1}},
		{"prefix office", "northeast", slot(0, 0), slot(23, 0), map[int64]int{u(9, 30): 1}},
		{"unknown office", "west", slot(0, 0), slot(23, 0), map[int64]int{}},
		{"empty range", "north", slot(10, 0), slot(9, 0), map[int64]int{}},
	}
	for _, tt := range takenTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Taken(tt.office, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if !mapsEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := s.Taken("", slot(0, 0), slot(23, 0)); err == nil {
		t.Error("Taken with no office succeeded")
	}
}

func TestBetween(t *testing.T) {
	s := seed(t)
	mustInsert(t, s, appt(4, "DDDD", "east", slot(9, 0)), 2)
	mustInsert(t, s, appt(5, "EEEE", "east", slot(8, 0)), 2)
	mustInsert(t, s, appt(6, "FFFF", "northeast", slot(9, 0)), 2)
	mustInsert(t, s, appt(7, "GGGG", "north", day0.AddDays(1).In(chicago, 8, 0)), 2)
	if _, err := s.SetStatus("BBBB", scheduling.StatusCancelled); err != nil {
		t.Fatal(err)
	}
	betweenTests := []struct {
		name     string
		office   string
		from, to time.Time
		want     []string
	}{
		{"all offices, by start then office then code", "", slot(0, 0), slot(23, 0),
			[]string{"EEEE", "DDDD", "AAAA", "BBBB", "FFFF", "CCCC"}},
		{"one office keeps cancelled", "north", slot(0, 0), slot(23, 0), []string{"AAAA", "BBBB"}},
		{"prefix office not mixed in", "northeast", slot(0, 0), slot(23, 0), []string{"FFFF"}},
		{"to is exclusive", "", slot(8, 0), slot(9, 0), []string{"EEEE"}},
		{"next day", "", day0.AddDays(1).In(chicago, 0, 0), day0.AddDays(2).In(chicago, 0, 0), []string{"GGGG"}},
		{"nothing", "west", slot(0, 0), slot(23, 0), nil},
	}
	for _, tt := range betweenTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Between(tt.office, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(codes(got), tt.want) {
				t.Errorf("got %v, want %v", codes(got), tt.want)
			}
			for _, a := range got {
				if a.Start.Location() != chicago {
					t.Errorf("%s start in %v, want Options.Location", a.Code, a.Start.Location())
				}
			}
		})
	}
}

func TestAll(t *testing.T) {
	s := seed(t)
	var got []string
	if err := s.All(func(a scheduling.Appointment) error { got = append(got, a.Code); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := []string{"AAAA", "BBBB", "CCCC"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	stop := errors.New("stop")
	n := 0
	if err := s.All(func(scheduling.Appointment) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("All with a failing fn: %v after %d calls", err, n)
	}
}

func TestDefaultLocationUTC(t *testing.T) {
	s := mustOpenAt(t, t.TempDir()+"/x.db", Options{})
	mustInsert(t, s, appt(1, "AAAA", "north", slot(9, 0)), 1)
	a, err := s.ByCode("AAAA")
	if err != nil || a.Start.Location() != time.UTC || !a.Start.Equal(slot(9, 0)) {
		t.Errorf("got %v, %v; want %v in UTC", a.Start, err, slot(9, 0))
	}
}

// errAny stands for any error that is not a sentinel (a validation error).
var errAny = errors.New("any error")

func checkErr(t *testing.T, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want == errAny && err == nil:
		t.Fatal("no error, want one")
	case want != nil && want != errAny && !errors.Is(err, want):
		t.Fatalf("err = %v, want %v", err, want)
	}
}

func taken(t *testing.T, s *Store, office string) map[int64]int {
	t.Helper()
	if office == "" {
		return nil
	}
	m, err := s.Taken(office, time.Unix(0, 0), time.Unix(1<<40, 0))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mapsEqual(a, b map[int64]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func sameAppointment(a, b scheduling.Appointment) bool {
	return a.Identity == b.Identity && a.Office == b.Office && a.Start.Equal(b.Start) &&
		a.Lang == b.Lang && a.Code == b.Code && a.Status == b.Status && a.Made == b.Made
}

func codes(list []scheduling.Appointment) []string {
	var c []string
	for _, a := range list {
		c = append(c, a.Code)
	}
	return c
}
