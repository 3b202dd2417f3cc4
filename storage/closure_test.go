package storage_test

import (
	"reflect"
	"testing"

	"github.com/cita-city/cita/scheduling"
)

func TestClosures(t *testing.T) {
	s := openStaffStore(t)
	d := scheduling.Date{Year: 2026, Month: 12, Day: 1}
	for _, c := range []struct {
		office string
		day    scheduling.Date
	}{{"city-hall", d}, {"city-hall", d.AddDays(3)}, {"city", d.AddDays(1)}, {"city-hall-2", d.AddDays(1)}, {"city-hall", d.AddDays(20)}} {
		if err := s.CloseOffice(c.office, c.day); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CloseOffice("city-hall", d); err != nil {
		t.Fatalf("closing twice: %v", err)
	}
	closed, err := s.Closed("city-hall", d)
	if err != nil || !closed {
		t.Fatalf("Closed = %v, %v", closed, err)
	}
	if closed, _ := s.Closed("city-hall", d.AddDays(1)); closed {
		t.Fatal("city-hall closed on a day only other offices closed")
	}
	days, err := s.ClosedDays("city-hall", d, d.AddDays(14))
	if want := []scheduling.Date{d, d.AddDays(3)}; err != nil || !reflect.DeepEqual(days, want) {
		t.Fatalf("ClosedDays = %v, %v; want %v", days, err, want)
	}
	if err := s.ReopenOffice("city-hall", d); err != nil {
		t.Fatal(err)
	}
	if closed, _ := s.Closed("city-hall", d); closed {
		t.Fatal("still closed after reopen")
	}
	if err := s.CloseOffice("", d); err == nil {
		t.Fatal("closing office \"\" succeeded")
	}
}
