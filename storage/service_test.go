package storage

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cita-city/cita/scheduling"
)

// TestServiceLastSeats drives the real booking service over this store:
// 200 residents ask for the same slot at once; exactly its desks win, and
// every loser is offered free alternatives by Nearest.
func TestServiceLastSeats(t *testing.T) {
	p := scheduling.Demo()
	s := mustOpenAt(t, filepath.Join(t.TempDir(), "cita.db"), Options{Location: p.Location})
	svc := scheduling.NewService(p, s)
	now := time.Date(2026, time.March, 2, 8, 0, 0, 0, p.Location) // a Monday
	office := p.Offices[0]
	want, ok, err := svc.Earliest(office.ID, 1, now)
	if err != nil || !ok {
		t.Fatalf("Earliest: %v, %v", ok, err)
	}

	const bookers = 200
	var wg sync.WaitGroup
	errs := make([]error, bookers)
	alternatives := make([][]scheduling.Slot, bookers)
	start := make(chan struct{})
	for i := range bookers {
		wg.Go(func() {
			<-start
			_, errs[i] = svc.Book(ident(i), "es", office.ID, want.Start, 1, now)
			if errors.Is(errs[i], scheduling.ErrSlotFull) {
				alternatives[i], _ = svc.Nearest(office.ID, want.Start, 1, 3, now)
			}
		})
	}
	close(start)
	wg.Wait()

	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, scheduling.ErrSlotFull):
			if len(alternatives[i]) == 0 {
				t.Errorf("booker %d lost and got no alternative", i)
			}
			for _, alt := range alternatives[i] {
				if alt.Start.Equal(want.Start) || alt.Free < 1 {
					t.Errorf("booker %d offered %v with %d free", i, alt.Start, alt.Free)
				}
			}
		default:
			t.Errorf("booker %d: %v", i, err)
		}
	}
	if won != office.Desks {
		t.Errorf("%d bookings won, want %d desks", won, office.Desks)
	}
	got, err := s.Taken(office.ID, want.Start, want.Start.Add(time.Second))
	if err != nil || got[want.Start.Unix()] != office.Desks {
		t.Errorf("Taken = %v, %v; want %d", got, err, office.Desks)
	}
}
