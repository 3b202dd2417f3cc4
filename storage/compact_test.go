package storage

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cita-city/cita/scheduling"
)

// TestCompactRemovesBytes shows that a deleted identity hash stays in the
// file until Compact, and is gone after it. Both halves are asserted, so
// the test can fail (a grep that never finds anything would prove nothing).
func TestCompactRemovesBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cita.db")
	s := mustOpenAt(t, path, Options{})
	marked := appt(1, "GONE", "north", slot(9, 0))
	copy(marked.Identity.Hash[:], "cita-compaction-test-marker-0042")
	mustInsert(t, s, marked, 2)
	mustInsert(t, s, appt(2, "KEEP", "north", slot(9, 0)), 2)
	if err := s.Delete("GONE"); err != nil {
		t.Fatal(err)
	}
	marker := marked.Identity.Hash[:]
	if !fileContains(t, path, marker) {
		t.Fatal("deleted hash not found in the file before compaction: the test cannot tell anything")
	}
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	if fileContains(t, path, marker) {
		t.Error("deleted hash still in the file after compaction")
	}
	if _, err := s.ByCode("KEEP"); err != nil {
		t.Errorf("live appointment lost by compaction: %v", err)
	}
	mustInsert(t, s, appt(3, "NEW1", "north", slot(10, 0)), 2) // reopened file is writable
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("files left in the directory: %v", entries)
	}
}

func TestCompactCancelledHash(t *testing.T) {
	// Cancelling zeroes the hash in the record; the old page still holds it
	// until compaction.
	path := filepath.Join(t.TempDir(), "cita.db")
	s := mustOpenAt(t, path, Options{})
	a := appt(1, "CANC", "north", slot(9, 0))
	copy(a.Identity.Hash[:], "cita-cancelled-marker-0000000042")
	mustInsert(t, s, a, 2)
	if _, err := s.SetStatus("CANC", scheduling.StatusCancelled); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	if fileContains(t, path, a.Identity.Hash[:]) {
		t.Error("cancelled identity hash still in the file after compaction")
	}
}

func fileContains(t *testing.T, path string, b []byte) bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(data, b)
}

// TestCompactKeepsLock: after Compact the database is still locked by the
// Store (the compacted file was opened, and locked, before the rename), so
// another Open waits and fails, and the Store keeps working.
func TestCompactKeepsLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cita.db")
	s := mustOpenAt(t, path, Options{})
	mustInsert(t, s, appt(1, "KEEP", "north", slot(9, 0)), 2)
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	if other, err := Open(path, Options{Timeout: 100 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		if err == nil {
			other.Close()
		}
		t.Fatalf("Open after Compact: %v, want ErrLocked", err)
	}
	if s.Path() != path {
		t.Errorf("Path() = %q after Compact, want %q", s.Path(), path)
	}
	mustInsert(t, s, appt(2, "NEW1", "north", slot(10, 0)), 2)
	if _, err := s.ByCode("KEEP"); err != nil {
		t.Error(err)
	}
}
