package identity

import (
	"bytes"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cita-city/cita/scheduling"
)

// fastParams keep tests quick; the construction is the same at any cost.
var fastParams = Params{Memory: 64, Time: 1, Threads: 1}

const (
	alice = "+13125550142"
	bob   = "+13125550143"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// newTestHasher returns a Hasher over keys (epochs 1 and 2 if none) and a
// counter of the stretches it runs.
func newTestHasher(t *testing.T, workers int, keys ...Key) (*Hasher, *atomic.Int64) {
	t.Helper()
	if len(keys) == 0 {
		keys = []Key{testKey(1, 10), testKey(2, 20)}
	}
	h, err := NewHasher(keys, fastParams, workers)
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	h.onStretch = func([32]byte) { n.Add(1) }
	return h, &n
}

func TestHashDeterministicAndDistinct(t *testing.T) {
	h, _ := newTestHasher(t, 1)
	k1, k2 := testKey(1, 10), testKey(2, 20)
	k1other := testKey(1, 99) // same epoch, another secret

	base := h.Hash(alice, k1)
	if base.Epoch != 1 || base.Hash == ([32]byte{}) {
		t.Fatalf("Hash = %x", base)
	}
	tests := []struct {
		name    string
		address string
		key     Key
		same    bool
	}{
		{"same address same key", alice, k1, true},
		{"other address", bob, k1, false},
		{"other epoch", alice, k2, false},
		{"other secret same epoch", alice, k1other, false},
		{"telegram id", TelegramAddress(13125550142), k1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := h.Hash(tt.address, tt.key)
			if (got == base) != tt.same {
				t.Fatalf("Hash(%q, %v) == Hash(alice, epoch 1) is %v, want %v", tt.address, tt.key, got == base, tt.same)
			}
			if got.Epoch != tt.key.Epoch {
				t.Errorf("epoch %d, want %d", got.Epoch, tt.key.Epoch)
			}
		})
	}

	// Another Hasher with the same key and params agrees: hashes survive restarts.
	h2, _ := newTestHasher(t, 1, k1)
	if h2.Hash(alice, k1) != base {
		t.Error("a second Hasher hashes differently")
	}
	// Different params, different hash.
	h3, err := NewHasher([]Key{k1}, Params{Memory: 64, Time: 2, Threads: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if h3.Hash(alice, k1) == base {
		t.Error("Time=2 gives the same hash as Time=1")
	}
}

func TestIdentitiesNewestFirst(t *testing.T) {
	keys := []Key{testKey(2, 20), testKey(5, 50), testKey(1, 10)}
	h, _ := newTestHasher(t, 2, keys...)
	ids, err := h.Identities(alice, t0)
	if err != nil {
		t.Fatal(err)
	}
	want := []scheduling.Identity{h.Hash(alice, keys[1]), h.Hash(alice, keys[0]), h.Hash(alice, keys[2])}
	if !reflect.DeepEqual(ids, want) {
		t.Fatalf("Identities = %v, want epochs 5, 2, 1: %v", ids, want)
	}
	wantInfo := []KeyInfo{keys[1].Info(), keys[0].Info(), keys[2].Info()}
	if got := h.Keys(); !reflect.DeepEqual(got, wantInfo) {
		t.Errorf("Keys() = %v, want %v", got, wantInfo)
	}
}

func TestIdentitiesCache(t *testing.T) {
	type step struct {
		address    string
		at         time.Duration // after t0
		sweep      bool          // Sweep at this time instead of calling Identities
		wantSwept  int
		wantRuns   int64 // stretches so far, 2 per uncached address
		wantCached int
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"second call is cached", []step{
			{address: alice, wantRuns: 2, wantCached: 1},
			{address: alice, at: time.Minute, wantRuns: 2, wantCached: 1},
		}},
		{"addresses cached apart", []step{
			{address: alice, wantRuns: 2, wantCached: 1},
			{address: bob, wantRuns: 4, wantCached: 2},
			{address: alice, wantRuns: 4, wantCached: 2},
		}},
		{"use keeps entry alive", []step{
			{address: alice, wantRuns: 2, wantCached: 1},
			{address: alice, at: 29 * time.Minute, wantRuns: 2, wantCached: 1},
			{address: alice, at: 58 * time.Minute, wantRuns: 2, wantCached: 1},
		}},
		{"expires after idle ttl", []step{
			{address: alice, wantRuns: 2, wantCached: 1},
			{address: alice, at: CacheTTL, wantRuns: 4, wantCached: 1},
		}},
		{"clock going back does not expire", []step{
			{address: alice, at: time.Hour, wantRuns: 2, wantCached: 1},
			{address: alice, wantRuns: 2, wantCached: 1},
		}},
		{"sweep drops only idle entries", []step{
			{address: alice, wantRuns: 2, wantCached: 1},
			{address: bob, at: 20 * time.Minute, wantRuns: 4, wantCached: 2},
			{sweep: true, at: 29 * time.Minute, wantSwept: 0, wantRuns: 4, wantCached: 2},
			{sweep: true, at: 30 * time.Minute, wantSwept: 1, wantRuns: 4, wantCached: 1},
			{address: bob, at: 31 * time.Minute, wantRuns: 4, wantCached: 1},
			{sweep: true, at: 61 * time.Minute, wantSwept: 1, wantRuns: 4, wantCached: 0},
			{address: alice, at: 62 * time.Minute, wantRuns: 6, wantCached: 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, runs := newTestHasher(t, 1)
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				if s.sweep {
					if n := h.Sweep(now); n != s.wantSwept {
						t.Errorf("step %d: Sweep = %d, want %d", i, n, s.wantSwept)
					}
				} else {
					ids, err := h.Identities(s.address, now)
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					if want := []scheduling.Identity{h.Hash(s.address, testKey(2, 20)), h.Hash(s.address, testKey(1, 10))}; !reflect.DeepEqual(ids, want) {
						t.Fatalf("step %d: cached identities differ from fresh ones", i)
					}
					runs.Add(-2) // the two Hash calls above
				}
				if got := runs.Load(); got != s.wantRuns {
					t.Errorf("step %d: %d stretches so far, want %d", i, got, s.wantRuns)
				}
				if got := h.cached(); got != s.wantCached {
					t.Errorf("step %d: %d cache entries, want %d", i, got, s.wantCached)
				}
			}
		})
	}
}

func TestIdentitiesReturnsCopy(t *testing.T) {
	h, runs := newTestHasher(t, 1)
	ids, err := h.Identities(alice, t0)
	if err != nil {
		t.Fatal(err)
	}
	ids[0] = scheduling.Identity{} // callers may scribble on their slice
	again, err := h.Identities(alice, t0)
	if err != nil || again[0].IsZero() || runs.Load() != 2 {
		t.Fatalf("second call: %v, %v after %d stretches: the caller's slice aliases the cache", again, err, runs.Load())
	}
}

// The cache must not hold the address in any form a heap dump would show.
func TestCacheHoldsNoAddress(t *testing.T) {
	h, _ := newTestHasher(t, 1)
	if _, err := h.Identities(alice, t0); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for mac, e := range h.cache {
		dump := fmt.Sprintf("%x %v %+v", mac, mac, *e)
		for _, s := range []string{alice, alice[1:], "5550142"} {
			if bytes.Contains(mac[:], []byte(s)) || bytes.Contains([]byte(dump), []byte(s)) {
				t.Fatalf("cache entry contains %q", s)
			}
		}
	}
}

func TestIdentitiesErrors(t *testing.T) {
	h, _ := newTestHasher(t, 1)
	if _, err := h.Identities("", t0); err == nil {
		t.Error("Identities(\"\"): no error")
	}
	bad := []struct {
		name    string
		keys    []Key
		params  Params
		workers int
	}{
		{"no keys", nil, fastParams, 1},
		{"duplicate epoch", []Key{testKey(1, 1), testKey(1, 2)}, fastParams, 1},
		{"zero time", []Key{testKey(1, 1)}, Params{Memory: 64, Time: 0, Threads: 1}, 1},
		{"zero threads", []Key{testKey(1, 1)}, Params{Memory: 64, Time: 1, Threads: 0}, 1},
		{"too little memory", []Key{testKey(1, 1)}, Params{Memory: 15, Time: 1, Threads: 2}, 1},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewHasher(tt.keys, tt.params, tt.workers); err == nil {
				t.Fatal("NewHasher: no error")
			}
		})
	}
}

func TestNewHasherDefaultWorkers(t *testing.T) {
	h, err := NewHasher([]Key{testKey(1, 1)}, fastParams, 0)
	if err != nil {
		t.Fatal(err)
	}
	if h.adm.workers < 1 {
		t.Fatalf("workers = %d", h.adm.workers)
	}
}

// At most `workers` stretches run at once, however many residents write.
func TestStretchConcurrencyBound(t *testing.T) {
	for _, workers := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			h, _ := newTestHasher(t, workers)
			var inFlight, peak atomic.Int64
			h.onStretch = func([32]byte) {
				n := inFlight.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(2 * time.Millisecond) // hold the slot so others pile up
				inFlight.Add(-1)
			}
			var wg sync.WaitGroup
			for i := range 16 {
				wg.Go(func() {
					if _, err := h.Identities(fmt.Sprintf("+1312555%04d", 100+i), t0); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if p := peak.Load(); p > int64(workers) || p < 1 {
				t.Fatalf("peak concurrent stretches = %d, want 1..%d", p, workers)
			}
			if workers > 1 && peak.Load() < 2 {
				t.Logf("peak %d: the scheduler never overlapped stretches", peak.Load())
			}
		})
	}
}

// Concurrent first messages from one resident stretch once.
func TestIdentitiesSingleFlight(t *testing.T) {
	h, runs := newTestHasher(t, 4)
	release := make(chan struct{})
	var once sync.Once
	h.onStretch = func([32]byte) {
		runs.Add(1)
		once.Do(func() { <-release }) // hold the first stretch until all callers wait
	}
	const callers = 16
	results := make([][]scheduling.Identity, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			ids, err := h.Identities(alice, t0)
			if err != nil {
				t.Error(err)
			}
			results[i] = ids
		})
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if got := runs.Load(); got != 2 {
		t.Fatalf("%d stretches for one address and two keys, want 2", got)
	}
	for i := 1; i < callers; i++ {
		if !reflect.DeepEqual(results[i], results[0]) {
			t.Fatalf("caller %d got %v, caller 0 got %v", i, results[i], results[0])
		}
	}
}

// One hash at production cost, so a change that breaks DefaultParams shows.
func TestDefaultParams(t *testing.T) {
	p := DefaultParams()
	if p != (Params{Memory: 19456, Time: 2, Threads: 1}) {
		t.Fatalf("DefaultParams = %+v", p)
	}
	h, err := NewHasher([]Key{testKey(1, 10)}, p, 1)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := h.Identities(alice, t0)
	if err != nil {
		t.Fatal(err)
	}
	if ids[0] != h.Hash(alice, testKey(1, 10)) || ids[0].IsZero() {
		t.Fatal("Identities and Hash disagree at DefaultParams")
	}
	fast, _ := newTestHasher(t, 1, testKey(1, 10))
	if fast.Hash(alice, testKey(1, 10)) == ids[0] {
		t.Fatal("DefaultParams hash equals the fastParams hash")
	}
}

func BenchmarkStretch(b *testing.B) {
	h, err := NewHasher([]Key{testKey(1, 10)}, DefaultParams(), 1)
	if err != nil {
		b.Fatal(err)
	}
	k := testKey(1, 10)
	b.ReportAllocs()
	for b.Loop() {
		h.Hash(alice, k)
	}
}

// cached counts cache entries (tests only).
func (h *Hasher) cached() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.cache)
}

// BenchmarkStretchParallel runs a stretch per CPU at once, as the bot does
// when new residents arrive together: ns/op is per hash, over all workers.
func BenchmarkStretchParallel(b *testing.B) {
	h, err := NewHasher([]Key{testKey(1, 10)}, DefaultParams(), 0)
	if err != nil {
		b.Fatal(err)
	}
	k := testKey(1, 10)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			h.Hash(alice, k)
		}
	})
}
