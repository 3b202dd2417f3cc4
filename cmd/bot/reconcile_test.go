package main

import (
	"testing"
	"time"
)

func TestStartThenEvery(t *testing.T) {
	s := &startThenEvery{every: time.Hour}
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	for i, tc := range []struct {
		name     string
		from     time.Time
		wantNext time.Time
	}{
		{"at start: at once", t0, t0},
		{"after the first run: an hour later", t0.Add(time.Second), t0.Add(time.Hour + time.Second)},
		{"and so on", t0.Add(time.Hour + 2*time.Second), t0.Add(2*time.Hour + 2*time.Second)},
	} {
		if got := s.Next(tc.from); !got.Equal(tc.wantNext) {
			t.Errorf("%d %s: Next(%v) = %v, want %v", i, tc.name, tc.from, got, tc.wantNext)
		}
	}
}
