package storage

import (
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/cita-city/cita/scheduling"
)

func TestActive(t *testing.T) {
	s := seed(t) // AAAA, BBBB, CCCC booked
	if _, err := s.SetStatus("BBBB", scheduling.StatusCancelled); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetStatus("CCCC", scheduling.StatusCheckedIn); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		codes []string
		want  []string
	}{
		{"booked", []string{"AAAA"}, []string{"AAAA"}},
		{"checked in still holds its seat", []string{"CCCC"}, []string{"CCCC"}},
		{"cancelled", []string{"BBBB"}, nil},
		{"no such code", []string{"ZZZZ"}, nil},
		{"mixed, repeated", []string{"ZZZZ", "AAAA", "BBBB", "AAAA", "CCCC"}, []string{"AAAA", "CCCC"}},
		{"none asked", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Active(tc.codes)
			if err != nil {
				t.Fatal(err)
			}
			if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, tc.want) {
				t.Errorf("Active(%v) = %v, want %v", tc.codes, keys, tc.want)
			}
		})
	}
}

func TestActiveClosed(t *testing.T) {
	s := seed(t)
	s.Close()
	if _, err := s.Active([]string{"AAAA"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Active on a closed store: %v, want ErrClosed", err)
	}
}
