package main

import (
	"testing"
	"time"

	"github.com/cita-city/cita/scheduling"
)

func TestClosesAt(t *testing.T) {
	p := scheduling.Demo()
	mon := scheduling.Date{Year: 2026, Month: time.November, Day: 30}
	at := closesAt(p, mon)
	if at.Hour() < 12 || scheduling.DateOf(at) != mon || at.Location() != p.Location {
		t.Errorf("closesAt(%v) = %v, want the evening of that day in %v", mon, at, p.Location)
	}
}
