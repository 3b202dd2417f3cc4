package main

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/scheduling"
)

func TestRotateKeys(t *testing.T) {
	day := scheduling.Date{Year: 2026, Month: time.November, Day: 1}
	newFile := func(t *testing.T) (string, identity.Key) {
		path := filepath.Join(t.TempDir(), "cita.key")
		k, err := identity.NewKey(1, day, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if err := writeKeyFile(path, []identity.Key{k}); err != nil {
			t.Fatal(err)
		}
		return path, k
	}
	none := func() (map[uint32]int, error) { return map[uint32]int{}, nil }
	uses1 := func() (map[uint32]int, error) { return map[uint32]int{1: 3}, nil }
	var swaps [][]identity.Key
	record := func(k []identity.Key) error { swaps = append(swaps, k); return nil }

	rotateTests := []struct {
		name      string
		now       scheduling.Date
		force     bool
		inUse     func() (map[uint32]int, error)
		wantEpoch []uint32 // in the file after, newest first
	}{
		{"not due", day.AddDays(29), false, none, []uint32{1}},
		{"due", day.AddDays(30), false, uses1, []uint32{2, 1}},
		{"due, old key unused: destroyed", day.AddDays(31), false, none, []uint32{2}},
		{"forced", day, true, uses1, []uint32{2, 1}},
		// The clock jumped back: the newest key looks as if made in the future.
		{"clock set back", day.AddDays(-400), false, none, []uint32{1}},
	}
	for _, tt := range rotateTests {
		t.Run(tt.name, func(t *testing.T) {
			path, _ := newFile(t)
			swaps = nil
			r, err := rotateKeys(path, tt.now, 30, tt.force, tt.inUse, record)
			if err != nil {
				t.Fatal(err)
			}
			keys, err := readKeys(path)
			if err != nil {
				t.Fatal(err)
			}
			got := epochsOf(keys)
			if !slices.Equal(got, tt.wantEpoch) {
				t.Errorf("epochs %v, want %v (%s)", got, tt.wantEpoch, r)
			}
			if len(tt.wantEpoch) > 0 && len(swaps) > 0 && !slices.Equal(epochsOf(swaps[len(swaps)-1]), tt.wantEpoch) {
				t.Errorf("running hasher got %v last, want %v", epochsOf(swaps[len(swaps)-1]), tt.wantEpoch)
			}
			// A second run the same day changes nothing.
			r2, err := rotateKeys(path, tt.now, 30, false, tt.inUse, record)
			if err != nil || r2.Added != nil || len(r2.Destroyed) != 0 {
				t.Errorf("second run: %s, %v", r2, err)
			}
			fi, err := os.Stat(path)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("key file mode %v, %v; want 0600", fi.Mode().Perm(), err)
			}
		})
	}

	t.Run("the old file's bytes are overwritten", func(t *testing.T) {
		path, k := newFile(t)
		old := path + ".link" // a second name for the old inode
		if err := os.Link(path, old); err != nil {
			t.Skip("no hard links here:", err)
		}
		if _, err := rotateKeys(path, day, 30, true, none, record); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(old)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 || len(bytes.Trim(b, "\x00")) != 0 {
			t.Errorf("old inode holds %d non-zero bytes", len(bytes.Trim(b, "\x00")))
		}
		cur, _ := os.ReadFile(path)
		if bytes.Contains(cur, []byte(k.String())) || len(cur) == 0 {
			t.Errorf("new key file: %q", cur)
		}
	})
}

func epochsOf(keys []identity.Key) []uint32 {
	var e []uint32
	for _, k := range keys {
		e = append(e, k.Epoch)
	}
	return e
}

func TestClosesAt(t *testing.T) {
	p := scheduling.Demo()
	mon := scheduling.Date{Year: 2026, Month: time.November, Day: 30}
	at := closesAt(p, mon)
	if at.Hour() < 12 || scheduling.DateOf(at) != mon || at.Location() != p.Location {
		t.Errorf("closesAt(%v) = %v, want the evening of that day in %v", mon, at, p.Location)
	}
}

func TestKeyringSwap(t *testing.T) {
	day := scheduling.Date{Year: 2026, Month: time.November, Day: 1}
	k1, _ := identity.NewKey(1, day, rand.Reader)
	k2, _ := identity.NewKey(2, day, rand.Reader)
	ring, err := newKeyring([]identity.Key{k1}, identity.Params{Memory: 64, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	before, _ := ring.Identities("+13125550142", now)
	if err := ring.use([]identity.Key{k2, k1}); err != nil {
		t.Fatal(err)
	}
	after, _ := ring.Identities("+13125550142", now)
	if len(after) != 2 || after[0].Epoch != 2 || after[1] != before[0] {
		t.Errorf("after the swap: %+v, want epoch 2 first and the old identity as the alias", after)
	}
	if err := ring.use([]identity.Key{k2}); err != nil {
		t.Fatal(err)
	}
	if ids, _ := ring.Identities("+13125550142", now); len(ids) != 1 || ids[0] != after[0] {
		t.Errorf("after destroying epoch 1: %+v", ids)
	}
}
