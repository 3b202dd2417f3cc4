package identity

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/cita-city/cita/scheduling"
)

var rotateDay = scheduling.Date{Year: 2026, Month: time.November, Day: 1}

func TestRotatePolicyDue(t *testing.T) {
	newest := KeyInfo{Epoch: 3, Created: rotateDay}
	dueTests := []struct {
		name   string
		policy RotatePolicy
		today  scheduling.Date
		want   bool
	}{
		{"a day early", RotatePolicy{EveryDays: 30}, rotateDay.AddDays(29), false},
		{"on the day", RotatePolicy{EveryDays: 30}, rotateDay.AddDays(30), true},
		{"late", RotatePolicy{EveryDays: 30}, rotateDay.AddDays(45), true},
		{"forced", RotatePolicy{EveryDays: 30, Force: true}, rotateDay, true},
		// The clock jumped back: the newest key looks as if made in the future.
		{"clock set back", RotatePolicy{EveryDays: 30}, rotateDay.AddDays(-400), false},
	}
	for _, tt := range dueTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.Due(newest, tt.today); got != tt.want {
				t.Errorf("Due(%v) = %v, want %v", tt.today, got, tt.want)
			}
		})
	}
}

func TestRetire(t *testing.T) {
	k1, k2, k3 := testKey(1, 10), testKey(2, 20), testKey(3, 30)
	retireTests := []struct {
		name          string
		keys          []Key
		inUse         map[uint32]int
		wantLive      []uint32
		wantDestroyed []uint32
	}{
		{"only the newest", []Key{k1}, nil, []uint32{1}, nil},
		// The newest key stays even when nothing uses it yet.
		{"newest unused stays", []Key{k2, k1}, map[uint32]int{1: 2}, []uint32{2, 1}, nil},
		{"retired unused goes", []Key{k2, k1}, map[uint32]int{2: 5}, []uint32{2}, []uint32{1}},
		{"any order in", []Key{k1, k3, k2}, map[uint32]int{2: 1}, []uint32{3, 2}, []uint32{1}},
		// A count of zero is no use (a map may hold it after deletions).
		{"zero count", []Key{k3, k2, k1}, map[uint32]int{1: 0, 2: 0}, []uint32{3}, []uint32{1, 2}},
	}
	for _, tt := range retireTests {
		t.Run(tt.name, func(t *testing.T) {
			live, destroyed := Retire(tt.keys, tt.inUse)
			if got := epochs(live); !slices.Equal(got, tt.wantLive) {
				t.Errorf("live %v, want %v", got, tt.wantLive)
			}
			if !slices.Equal(destroyed, tt.wantDestroyed) {
				t.Errorf("destroyed %v, want %v", destroyed, tt.wantDestroyed)
			}
		})
	}
}

func TestRotate(t *testing.T) {
	newFile := func(t *testing.T) (string, Key) {
		path := filepath.Join(t.TempDir(), "cita.key")
		k, err := NewKey(1, rotateDay, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteKeyFile(OS, path, []Key{k}); err != nil {
			t.Fatal(err)
		}
		return path, k
	}
	read := func(t *testing.T, path string) []Key {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := ParseKeys(b)
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}
	none := func() (map[uint32]int, error) { return map[uint32]int{}, nil }
	uses1 := func() (map[uint32]int, error) { return map[uint32]int{1: 3}, nil }

	rotateTests := []struct {
		name      string
		today     scheduling.Date
		force     bool
		serving   bool // a running server: Use set
		inUse     func() (map[uint32]int, error)
		wantEpoch []uint32   // in the file after, newest first
		wantUse   [][]uint32 // the key sets handed to Use, in order
		wantNext  []uint32   // in the file after a second run the same day
	}{
		{"not due", rotateDay.AddDays(29), false, true, none, []uint32{1}, nil, []uint32{1}},
		{"due", rotateDay.AddDays(30), false, true, uses1, []uint32{2, 1}, [][]uint32{{2, 1}}, []uint32{2, 1}},
		{"due, old key unused: destroyed", rotateDay.AddDays(31), false, false, none, []uint32{2}, nil, []uint32{2}},
		// Identities under the old key may be on their way to a booking:
		// it goes at the next run, the new key in use before.
		{"due, old key unused, serving: destroyed next run", rotateDay.AddDays(31), false, true, none, []uint32{2, 1}, [][]uint32{{2, 1}}, []uint32{2}},
		{"forced", rotateDay, true, true, uses1, []uint32{2, 1}, [][]uint32{{2, 1}}, []uint32{2, 1}},
		{"clock set back", rotateDay.AddDays(-400), false, true, none, []uint32{1}, nil, []uint32{1}},
	}
	for _, tt := range rotateTests {
		t.Run(tt.name, func(t *testing.T) {
			path, _ := newFile(t)
			var swaps [][]uint32
			r := Rotator{Files: OS, Path: path, Policy: RotatePolicy{EveryDays: 30, Force: tt.force}, Rand: rand.Reader, InUse: tt.inUse}
			if tt.serving {
				r.Use = func(k []Key) error { swaps = append(swaps, epochs(k)); return nil }
			}
			rot, err := r.Rotate(read(t, path), tt.today)
			if err != nil {
				t.Fatal(err)
			}
			if got := epochs(read(t, path)); !slices.Equal(got, tt.wantEpoch) {
				t.Errorf("epochs in the file %v, want %v (%s)", got, tt.wantEpoch, rot)
			}
			if got := epochs(rot.Keys); !slices.Equal(got, tt.wantEpoch) {
				t.Errorf("Rotation.Keys %v, want %v", got, tt.wantEpoch)
			}
			if !slices.EqualFunc(swaps, tt.wantUse, slices.Equal) {
				t.Errorf("Use got %v, want %v", swaps, tt.wantUse)
			}
			// A second run the same day adds nothing, and destroys only
			// what the first kept for it.
			r.Policy.Force = false
			swaps = nil
			rot2, err := r.Rotate(read(t, path), tt.today)
			if err != nil || rot2.Added != nil {
				t.Errorf("second run: %s, %v", rot2, err)
			}
			if got := epochs(read(t, path)); !slices.Equal(got, tt.wantNext) {
				t.Errorf("after a second run: epochs %v, want %v", got, tt.wantNext)
			}
			if len(rot2.Destroyed) > 0 && tt.serving && (len(swaps) != 1 || !slices.Equal(swaps[0], tt.wantNext)) {
				t.Errorf("second run: Use got %v, want %v before the file changed", swaps, tt.wantNext)
			}
			// And a third nothing at all.
			if rot3, err := r.Rotate(read(t, path), tt.today); err != nil || rot3.Added != nil || len(rot3.Destroyed) != 0 {
				t.Errorf("third run: %s, %v", rot3, err)
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
		r := Rotator{Files: OS, Path: path, Policy: RotatePolicy{EveryDays: 30, Force: true}, Rand: rand.Reader, InUse: none}
		if _, err := r.Rotate([]Key{k}, rotateDay); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(old)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 || len(bytes.Trim(b, "\x00")) != 0 {
			t.Errorf("old inode holds %d non-zero bytes", len(bytes.Trim(b, "\x00")))
		}
	})

	t.Run("counting epochs fails: nothing destroyed", func(t *testing.T) {
		path, k := newFile(t)
		boom := errors.New("boom")
		r := Rotator{Files: OS, Path: path, Policy: RotatePolicy{EveryDays: 30, Force: true}, Rand: rand.Reader,
			InUse: func() (map[uint32]int, error) { return nil, boom }}
		if _, err := r.Rotate([]Key{k}, rotateDay); !errors.Is(err, boom) {
			t.Fatalf("err %v, want boom", err)
		}
		if got := epochs(read(t, path)); !slices.Equal(got, []uint32{2, 1}) {
			t.Errorf("epochs in the file %v, want [2 1]: the new key added, the old one kept", got)
		}
	})
}

func TestKeyringSwap(t *testing.T) {
	k1, k2 := testKey(1, 10), testKey(2, 20)
	ring, err := NewKeyring([]Key{k1}, fastParams, NewAdmission(AdmissionConfig{Workers: 1}))
	if err != nil {
		t.Fatal(err)
	}
	d1 := ring.DedupeKey()
	before, _ := ring.Identities(alice, t0)
	if err := ring.Use([]Key{k2, k1}); err != nil {
		t.Fatal(err)
	}
	if _, ok := ring.Cached(alice, t0); ok {
		t.Error("identities under the old key set still cached after the swap")
	}
	after, _ := ring.Identities(alice, t0)
	if len(after) != 2 || after[0].Epoch != 2 || after[1] != before[0] {
		t.Errorf("after the swap: %+v, want epoch 2 first and the old identity as the alias", after)
	}
	if got := ring.Keys(); len(got) != 2 || got[0].Epoch != 2 {
		t.Errorf("Keys() = %v", got)
	}
	if ring.DedupeKey() != d1 {
		t.Error("dedupe key changed while the oldest epoch lives")
	}
	if err := ring.Use([]Key{k2}); err != nil {
		t.Fatal(err)
	}
	if ids, _ := ring.Identities(alice, t0); len(ids) != 1 || ids[0] != after[0] {
		t.Errorf("after destroying epoch 1: %+v", ids)
	}
	if ring.DedupeKey() == d1 {
		t.Error("dedupe key still derived from the destroyed epoch")
	}
	if err := ring.Use(nil); err == nil {
		t.Error("Use(no keys) accepted")
	}
	if ids, err := ring.Identities(alice, t0); err != nil || len(ids) != 1 {
		t.Errorf("a refused Use changed the key set: %v, %v", ids, err)
	}
}

// TestKeyringAdmitThroughSwap: a resident queued behind a stretch when
// the keys change is answered under the new key set, not the one live when
// they came (their booking would go under a key about to be retired).
func TestKeyringAdmitThroughSwap(t *testing.T) {
	k1, k2 := testKey(1, 10), testKey(2, 20)
	ring, err := NewKeyring([]Key{k1}, fastParams, NewAdmission(AdmissionConfig{Workers: 1}))
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	ring.h.Load().onStretch = func([32]byte) {
		select {
		case started <- struct{}{}:
			<-release // the first stretch holds the only worker
		default:
		}
	}
	go ring.Identities(bob, t0)
	<-started
	got := make(chan []scheduling.Identity, 1)
	go func() {
		ids, err := ring.Admit(context.Background(), alice, t0)
		if err != nil {
			t.Error(err)
		}
		got <- ids
	}()
	for ring.adm.Waiting() == 0 { // alice is in line
		runtime.Gosched()
	}
	if err := ring.Use([]Key{k2, k1}); err != nil {
		t.Fatal(err)
	}
	close(release)
	if ids := <-got; len(ids) != 2 || ids[0].Epoch != 2 {
		t.Errorf("Admit through a swap gave %+v, want epoch 2 first", ids)
	}
}

func epochs(keys []Key) []uint32 {
	var e []uint32
	for _, k := range keys {
		e = append(e, k.Epoch)
	}
	return e
}
