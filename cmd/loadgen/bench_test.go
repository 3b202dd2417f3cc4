package main

import (
	"path/filepath"
	"testing"
	"time"
)

// TestStoreBookings runs make bench's store-only booking measurement
// briefly: every Insert must succeed (distinct residents and codes), alone
// and through the group commit.
func TestStoreBookings(t *testing.T) {
	for _, bookers := range []int{1, 8} {
		rate, err := storeBookings(filepath.Join(t.TempDir(), "cita.db"), bookers, 200*time.Millisecond)
		if err != nil {
			t.Fatalf("%d bookers: %v", bookers, err)
		}
		if rate <= 0 {
			t.Errorf("%d bookers: %v bookings/s", bookers, rate)
		}
		t.Logf("%d bookers: %.0f bookings/s", bookers, rate)
	}
}
