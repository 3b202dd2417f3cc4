package storage

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/cita-city/cita/scheduling"
)

// TestLastSeats: 200 residents book the same slot at once; exactly its
// capacity win, every other gets ErrSlotFull, and the counts match the
// records (the cleanup's Check). Run with both commit paths.
func TestLastSeats(t *testing.T) {
	modes := map[string]commitMode{"group": commitGroup, "adaptive": commitAdaptive, "update": commitUpdate, "batch": commitBatch}
	for name, mode := range modes {
		t.Run(name, func(t *testing.T) {
			const bookers, capacity = 200, 4
			s := mustOpen(t)
			s.commit = mode
			var wg sync.WaitGroup
			errs := make([]error, bookers)
			start := make(chan struct{})
			for i := range bookers {
				wg.Go(func() {
					<-start
					errs[i] = s.Insert(appt(i, fmt.Sprintf("C%04d", i), "north", slot(9, 0)), capacity)
				})
			}
			close(start)
			wg.Wait()
			won, full := 0, 0
			for i, err := range errs {
				switch {
				case err == nil:
					won++
				case errors.Is(err, scheduling.ErrSlotFull):
					full++
				default:
					t.Errorf("booker %d: %v", i, err)
				}
			}
			if won != capacity || full != bookers-capacity {
				t.Errorf("%d won, %d slot full; want %d and %d", won, full, capacity, bookers-capacity)
			}
			if got := taken(t, s, "north")[slot(9, 0).Unix()]; got != capacity {
				t.Errorf("Taken = %d, want %d", got, capacity)
			}
			list, err := s.Between("north", slot(0, 0), slot(23, 0))
			if err != nil || len(list) != capacity {
				t.Errorf("Between: %d records, %v; want %d", len(list), err, capacity)
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
				s.Move(code, to.office, slot(to.h, 0), 5)
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
