package storage

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/cita-city/cita/scheduling"
)

// TestLastSeats: 200 residents, parties of 1 to 3 people, book the same
// slot at once. Seats count people: the winners' parties add up to the
// seats taken, never above capacity; every loser's party is larger than
// the seats left at the end (room only shrinks, so it did not fit when it
// lost either); the cleanup's Check proves the seat count equals the sum
// of the records' parties. Run with every commit path.
func TestLastSeats(t *testing.T) {
	modes := map[string]commitMode{"group": commitGroup, "adaptive": commitAdaptive, "update": commitUpdate, "batch": commitBatch}
	for name, mode := range modes {
		t.Run(name, func(t *testing.T) {
			const bookers, capacity = 200, 7
			s := mustOpen(t)
			s.commit = mode
			party := func(i int) int { return 1 + i%3 }
			var wg sync.WaitGroup
			errs := make([]error, bookers)
			start := make(chan struct{})
			for i := range bookers {
				wg.Go(func() {
					<-start
					a := appt(i, fmt.Sprintf("C%04d", i), "north", slot(9, 0))
					a.Party = party(i)
					errs[i] = s.Insert(a, capacity)
				})
			}
			close(start)
			wg.Wait()
			won, people := 0, 0
			var lost []int
			for i, err := range errs {
				switch {
				case err == nil:
					won++
					people += party(i)
				case errors.Is(err, scheduling.ErrSlotFull):
					lost = append(lost, i)
				default:
					t.Errorf("booker %d: %v", i, err)
				}
			}
			taken := taken(t, s, "north")[slot(9, 0).Unix()]
			if taken != people || taken > capacity || won == 0 {
				t.Errorf("%d won with %d people, %d seats taken; want equal and at most %d", won, people, taken, capacity)
			}
			for _, i := range lost {
				if party(i) <= capacity-taken {
					t.Errorf("booker %d (party of %d) lost with %d seats left", i, party(i), capacity-taken)
				}
			}
			list, err := s.Between("north", slot(0, 0), slot(23, 0))
			if err != nil || len(list) != won {
				t.Errorf("Between: %d records, %v; want %d", len(list), err, won)
			}
		})
	}
}

// TestConcurrentMixed runs bookings, moves, cancellations and deletes at
// once over a few slots; the cleanup's Check proves the counts and indexes
// stayed consistent.
func TestConcurrentMixed(t *testing.T) {
	s := mustOpen(t)
	slots := []struct {
		office string
		h      int
	}{{"north", 9}, {"north", 10}, {"south", 9}}
	var wg sync.WaitGroup
	for i := range 120 {
		wg.Go(func() {
			sl := slots[i%len(slots)]
			code := fmt.Sprintf("M%04d", i)
			if err := s.Insert(appt(i%40, code, sl.office, slot(sl.h, 0)), 5); err != nil {
				return // already booked or full: both fine here
			}
			switch i % 4 {
			case 0:
				to := slots[(i+1)%len(slots)]
				s.Move(code, to.office, slot(to.h, 0), 0, 5)
			case 1:
				s.SetStatus(code, scheduling.StatusCancelled)
			case 2:
				s.Delete(code)
			}
		})
	}
	wg.Wait()
	for _, sl := range slots {
		if n := taken(t, s, sl.office)[slot(sl.h, 0).Unix()]; n > 5 {
			t.Errorf("%s %d:00 has %d seats taken, capacity 5", sl.office, sl.h, n)
		}
	}
}
