package storage

import (
	"errors"
	"testing"

	"github.com/cita-city/cita/scheduling"
)

// party is appt for a party of n people.
func party(id int, code, office string, n int) scheduling.Appointment {
	a := appt(id, code, office, slot(9, 0))
	a.Party = n
	return a
}

// TestParty: a party takes, frees and moves as many seats as it has
// people; a clerk checks in some of it; the closed day counts people.
// The cleanup's Check holds every seat count to the records' parties.
func TestParty(t *testing.T) {
	s := mustOpen(t)
	nine := slot(9, 0).Unix()
	seats := func(want int, why string) {
		t.Helper()
		if got := taken(t, s, "north")[nine]; got != want {
			t.Errorf("%s: %d seats taken at 9:00, want %d", why, got, want)
		}
	}
	mustInsert(t, s, party(1, "FAM3", "north", 3), 4)
	seats(3, "a family of three")
	if err := s.Insert(party(2, "FAM2", "north", 2), 4); !errors.Is(err, scheduling.ErrSlotFull) {
		t.Errorf("a party of two into the last seat: %v, want ErrSlotFull", err)
	}
	if err := s.Insert(party(3, "BIG9", "north", 300), 400); err == nil {
		t.Error("a party of 300 was stored in one byte")
	}
	mustInsert(t, s, party(4, "ONE1", "north", 0), 4) // 0 reads as one person
	seats(4, "full")

	// Shrinking in place frees seats; growing back needs them free.
	a, err := s.Move("FAM3", "north", slot(9, 0), 2, 4)
	if err != nil || a.Party != 2 {
		t.Fatalf("shrink to 2: %+v, %v", a, err)
	}
	seats(3, "after shrinking")
	if _, err := s.Move("FAM3", "north", slot(9, 0), 4, 4); !errors.Is(err, scheduling.ErrSlotFull) {
		t.Errorf("grow to 4 beside another person: %v, want ErrSlotFull", err)
	}
	seats(3, "after a refused growth (rolled back)")
	if a, err = s.Move("FAM3", "north", slot(10, 0), 3, 4); err != nil || a.Party != 3 {
		t.Fatalf("move as three to 10:00: %+v, %v", a, err)
	}
	seats(1, "after moving away")
	if got := taken(t, s, "north")[slot(10, 0).Unix()]; got != 3 {
		t.Errorf("10:00: %d seats, want 3", got)
	}

	// Check-in with a count: 2 of 3 came.
	for _, bad := range []int{0, 4} {
		if _, err := s.CheckIn("FAM3", bad); !errors.Is(err, ErrStatusChange) {
			t.Errorf("CheckIn(%d of 3) = %v, want ErrStatusChange", bad, err)
		}
	}
	if a, err = s.CheckIn("FAM3", 2); err != nil || a.Status != scheduling.StatusCheckedIn || a.Arrived != 2 {
		t.Fatalf("CheckIn 2 of 3: %+v, %v", a, err)
	}
	if a, _ = s.ByCode("FAM3"); a.Arrived != 2 || a.Party != 3 {
		t.Errorf("stored: %d of %d arrived", a.Arrived, a.Party)
	}
	// Undoing a check-in forgets the count; checking in the usual way
	// means the whole party.
	if a, _ = s.SetStatus("FAM3", scheduling.StatusBooked); a.Arrived != 0 {
		t.Errorf("undo check-in: arrived %d", a.Arrived)
	}
	if a, _ = s.SetStatus("FAM3", scheduling.StatusCheckedIn); a.Arrived != 3 {
		t.Errorf("SetStatus checked-in: arrived %d, want the whole party", a.Arrived)
	}
	if _, err = s.CheckIn("FAM3", 2); err != nil {
		t.Fatal(err)
	}
	mustInsert(t, s, party(5, "CAN2", "south", 2), 4)
	if _, err := s.SetStatus("CAN2", scheduling.StatusCancelled); err != nil {
		t.Fatal(err)
	}
	if got := taken(t, s, "south"); len(got) != 0 {
		t.Errorf("south after cancelling a party of 2: %v, want no seats", got)
	}

	if _, err := s.CloseDay(day0); err != nil {
		t.Fatal(err)
	}
	got, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	// north: the family (3, 2 came) and one person who did not come.
	want := []DayCount{
		{Office: "north", Day: day0, Booked: 4, CheckedIn: 2, NoShow: 2, ByLang: map[string]int{"es": 4}},
		{Office: "south", Day: day0, Booked: 2, Cancelled: 2, ByLang: map[string]int{"es": 2}},
	}
	if !sameCounts(got, want) {
		t.Errorf("counters %+v, want %+v", got, want)
	}
}
