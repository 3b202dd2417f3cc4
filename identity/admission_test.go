package identity

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rig is a Hasher on an Admission whose first stretch waits at a gate, so
// that the work after it queues up in a known order, and which records the
// order in which addresses are stretched.
type rig struct {
	t       *testing.T
	h       *Hasher
	adm     *Admission
	names   map[[32]byte]string
	gate    chan struct{} // the first stretch waits for it to close
	started chan struct{} // closed when the first stretch has begun
	queue   chan int      // every queue length reported

	mu    sync.Mutex
	order []string

	busy, stretches, waited atomic.Int64
}

var residents = []string{"+13125550150", "+13125550151", "+13125550152", "+13125550153", "+13125550154", "+13125550155"}

func newRig(t *testing.T, c AdmissionConfig) *rig {
	t.Helper()
	r := &rig{t: t, names: map[[32]byte]string{}, gate: make(chan struct{}), started: make(chan struct{}), queue: make(chan int, 1000)}
	c.Observe = Observer{
		Queue:   func(n int) { r.queue <- n },
		Waited:  func(time.Duration) { r.waited.Add(1) },
		Busy:    func() { r.busy.Add(1) },
		Stretch: func() { r.stretches.Add(1) },
	}
	r.adm = NewAdmission(c)
	k := testKey(1, 10)
	h, err := NewHasherWith([]Key{k}, fastParams, r.adm)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range residents {
		r.names[keyedMAC(k, a)] = a
	}
	var first sync.Once
	h.onStretch = func(mac [32]byte) {
		r.mu.Lock()
		r.order = append(r.order, r.names[mac])
		r.mu.Unlock()
		first.Do(func() {
			close(r.started)
			<-r.gate
		})
	}
	r.h = h
	t.Cleanup(func() {
		select {
		case <-r.gate:
		default:
			close(r.gate)
		}
	})
	return r
}

// hold starts a stretch for address and returns once it holds the only
// worker at the gate.
func (r *rig) hold(address string) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := r.h.Admit(context.Background(), address, t0)
		done <- err
	}()
	<-r.started
	return done
}

// waitQueued waits until the Admission reports n pieces of work waiting.
func (r *rig) waitQueued(n int) {
	r.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case got := <-r.queue:
			if got == n {
				return
			}
		case <-timeout:
			r.t.Fatalf("queue never reached %d (now %d)", n, r.adm.Waiting())
		}
	}
}

// waitWaiters waits until n calls wait for address's work.
func (r *rig) waitWaiters(address string, n int) {
	r.t.Helper()
	mac := keyedMAC(r.h.keys[0], address)
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.h.mu.Lock()
		e := r.h.cache[mac]
		got := 0
		if e != nil {
			got = e.waiters
		}
		r.h.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%d waiters, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func (r *rig) stretched() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.order)
}

// admit queues Admit(address) and waits until it is queued; the returned
// channel gives its result.
func (r *rig) admit(ctx context.Context, address string, queued int) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := r.h.Admit(ctx, address, t0)
		done <- err
	}()
	r.waitQueued(queued)
	return done
}

func wait(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("call never returned")
		return nil
	}
}

// Residents are stretched in the order they arrived, and the clerk's
// Identities goes ahead of them: the orders below are the whole schedule.
func TestAdmissionOrder(t *testing.T) {
	a, b, c, d, e := residents[0], residents[1], residents[2], residents[3], residents[4]
	tests := []struct {
		name  string
		run   func(r *rig) []<-chan error
		order []string
	}{
		{"arrival order", func(r *rig) []<-chan error {
			return []<-chan error{r.admit(context.Background(), b, 1), r.admit(context.Background(), c, 2), r.admit(context.Background(), d, 3)}
		}, []string{a, b, c, d}},
		{"Identities goes first", func(r *rig) []<-chan error {
			x, y := r.admit(context.Background(), b, 1), r.admit(context.Background(), c, 2)
			z := make(chan error, 1)
			go func() { _, err := r.h.Identities(e, t0); z <- err }()
			r.waitQueued(3)
			return []<-chan error{x, y, z}
		}, []string{a, e, b, c}},
		{"Identities for a queued resident promotes their work", func(r *rig) []<-chan error {
			x, y := r.admit(context.Background(), b, 1), r.admit(context.Background(), c, 2)
			z := make(chan error, 1)
			go func() { _, err := r.h.Identities(c, t0); z <- err }()
			// The promoted work is reported as the same queue length.
			r.waitQueued(2)
			return []<-chan error{x, y, z}
		}, []string{a, c, b}},
		{"a second message shares the first one's place", func(r *rig) []<-chan error {
			x, y := r.admit(context.Background(), b, 1), r.admit(context.Background(), c, 2)
			z := make(chan error, 1)
			go func() { _, err := r.h.Admit(context.Background(), b, t0); z <- err }()
			return []<-chan error{x, y, z}
		}, []string{a, b, c}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, AdmissionConfig{Workers: 1})
			first := r.hold(a)
			calls := tt.run(r)
			close(r.gate)
			for _, done := range append(calls, first) {
				if err := wait(t, done); err != nil {
					t.Fatal(err)
				}
			}
			if got := r.stretched(); !slices.Equal(got, tt.order) {
				t.Errorf("stretched %q, want %q", got, tt.order)
			}
			if n := r.adm.Waiting(); n != 0 {
				t.Errorf("%d still waiting", n)
			}
		})
	}
}

// A newcomer whose wait would pass the bound is turned away at once and
// costs nothing; one already queued is not.
func TestAdmissionBusy(t *testing.T) {
	// No clock: the pace stays at the guess, 30ms a stretch on one worker,
	// so three waiting is 90ms (admitted) and four is 120ms (turned away).
	r := newRig(t, AdmissionConfig{Workers: 1, MaxWait: 100 * time.Millisecond, Guess: 30 * time.Millisecond})
	first := r.hold(residents[0])
	var queued []<-chan error
	for i, addr := range residents[1:5] {
		queued = append(queued, r.admit(context.Background(), addr, i+1))
	}
	_, err := r.h.Admit(context.Background(), residents[5], t0)
	var busy *BusyError
	if !errors.As(err, &busy) || !errors.Is(err, ErrBusy) {
		t.Fatalf("fifth in line: %v, want a BusyError", err)
	}
	if busy.RetryAfter != 120*time.Millisecond {
		t.Errorf("RetryAfter %v, want 120ms", busy.RetryAfter)
	}
	if err := r.h.Check(residents[5], t0); !errors.Is(err, ErrBusy) {
		t.Errorf("Check: %v, want busy", err)
	}
	if err := r.h.Check(residents[2], t0); err != nil {
		t.Errorf("Check of a queued resident: %v, want nil (they share their place)", err)
	}
	if n := r.adm.Waiting(); n != 4 {
		t.Errorf("%d waiting, want 4: the busy one is not queued", n)
	}
	// The clerk is never turned away.
	clerk := make(chan error, 1)
	go func() { _, err := r.h.Identities(residents[5], t0); clerk <- err }()
	r.waitQueued(5)
	close(r.gate)
	for _, done := range append(queued, first, clerk) {
		if err := wait(t, done); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := r.busy.Load(), int64(2); got != want {
		t.Errorf("busy counted %d, want %d (Admit and Check)", got, want)
	}
	if got := r.stretches.Load(); got != 6 {
		t.Errorf("%d stretches, want 6", got)
	}
	if _, ok := r.h.Cached(residents[5], t0); !ok {
		t.Error("the clerk's lookup is not cached")
	}
}

// Work whose callers all gave up leaves the queue and is never stretched;
// while someone still waits for it, it stays.
func TestAdmissionCancel(t *testing.T) {
	r := newRig(t, AdmissionConfig{Workers: 1})
	first := r.hold(residents[0])
	ctx1, cancel1 := context.WithCancel(context.Background())
	gone := r.admit(ctx1, residents[1], 1)
	ctx2, cancel2 := context.WithCancel(context.Background())
	shared := r.admit(ctx2, residents[2], 2)
	stays := make(chan error, 1)
	go func() { _, err := r.h.Admit(context.Background(), residents[2], t0); stays <- err }()
	r.waitWaiters(residents[2], 2)
	cancel1()
	if err := wait(t, gone); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Admit: %v", err)
	}
	r.waitQueued(1)
	// One of two callers for residents[2] gives up: the work stays queued.
	cancel2()
	if err := wait(t, shared); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Admit: %v", err)
	}
	if n := r.adm.Waiting(); n != 1 {
		t.Errorf("%d waiting, want 1", n)
	}
	if _, ok := r.h.Cached(residents[1], t0); ok {
		t.Error("a withdrawn resident is cached")
	}
	close(r.gate)
	for _, done := range []<-chan error{first, stays} {
		if err := wait(t, done); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := r.stretched(), []string{residents[0], residents[2]}; !slices.Equal(got, want) {
		t.Errorf("stretched %q, want %q: the withdrawn one never", got, want)
	}
	if _, ok := r.h.Cached(residents[2], t0); !ok {
		t.Error("the shared one is not cached")
	}
	// Gone means gone: a later Admit of the withdrawn resident stretches.
	if _, err := r.h.Admit(context.Background(), residents[1], t0); err != nil {
		t.Fatal(err)
	}
	if got := r.stretches.Load(); got != 3 {
		t.Errorf("%d stretches, want 3", got)
	}
}

// Cached never stretches and never waits: a resident being worked out is
// not cached yet.
func TestCached(t *testing.T) {
	r := newRig(t, AdmissionConfig{Workers: 1})
	if _, ok := r.h.Cached(residents[0], t0); ok {
		t.Fatal("cached before any stretch")
	}
	first := r.hold(residents[0])
	if _, ok := r.h.Cached(residents[0], t0); ok {
		t.Error("cached while stretching")
	}
	close(r.gate)
	if err := wait(t, first); err != nil {
		t.Fatal(err)
	}
	ids, ok := r.h.Cached(residents[0], t0.Add(time.Minute))
	if want, _ := r.h.Identities(residents[0], t0); !ok || len(ids) != 1 || ids[0] != want[0] {
		t.Errorf("Cached = %v %v, want %v", ids, ok, want)
	}
	if _, ok := r.h.Cached(residents[0], t0.Add(time.Minute+CacheTTL)); ok {
		t.Error("cached after CacheTTL idle")
	}
	if got := r.stretches.Load(); got != 1 {
		t.Errorf("%d stretches, want 1", got)
	}
}

// The pace follows measured stretches, and each queued piece of work
// reports its wait.
func TestAdmissionMeasures(t *testing.T) {
	var mu sync.Mutex
	clock := t0
	// Every reading of the clock is 100ms after the one before.
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(100 * time.Millisecond)
		return clock
	}
	r := newRig(t, AdmissionConfig{Workers: 2, Now: now, Guess: time.Second})
	close(r.gate)
	for _, a := range residents {
		if _, err := r.h.Admit(context.Background(), a, t0); err != nil {
			t.Fatal(err)
		}
	}
	r.adm.mu.Lock()
	mean := r.adm.mean
	r.adm.mu.Unlock()
	// Starting at the 1s guess, six stretches of 100ms bring the mean
	// down: 0.1 + 0.9*(7/8)^6 = 0.54s.
	if mean < 500*time.Millisecond || mean > 600*time.Millisecond {
		t.Errorf("mean stretch %v, want about 540ms", mean)
	}
	if got := r.waited.Load(); got != int64(len(residents)) {
		t.Errorf("waits observed %d, want %d", got, len(residents))
	}
	if got := r.stretches.Load(); got != int64(len(residents)) {
		t.Errorf("stretches observed %d, want %d", got, len(residents))
	}
}

// Hashers of successive key sets on one Admission share its queue: work
// of the new set waits behind the old set's.
func TestAdmissionSharedAcrossKeySets(t *testing.T) {
	r := newRig(t, AdmissionConfig{Workers: 1})
	first := r.hold(residents[0])
	h2, err := NewHasherWith([]Key{testKey(2, 20), testKey(1, 10)}, fastParams, r.adm)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := h2.Admit(context.Background(), residents[1], t0); done <- err }()
	r.waitQueued(1)
	if r.adm.Estimate() <= 0 {
		t.Error("no wait estimated with two stretches queued")
	}
	close(r.gate)
	for _, d := range []<-chan error{first, done} {
		if err := wait(t, d); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.stretches.Load(); got != 3 {
		t.Errorf("%d stretches, want 3 (one, then two epochs)", got)
	}
}

// AdmitAsync takes the same place in line as Admit without a goroutine
// waiting: done is called when the identities are cached; leaving before
// the stretch starts withdraws it; a newcomer beyond the bound is busy.
func TestAdmitAsync(t *testing.T) {
	r := newRig(t, AdmissionConfig{Workers: 1, MaxWait: 100 * time.Millisecond, Guess: 30 * time.Millisecond})
	first := r.hold(residents[0])
	done := make(chan string, 10)
	async := func(addr string) func() bool {
		t.Helper()
		leave, err := r.h.AdmitAsync(addr, t0, func() { done <- addr })
		if err != nil {
			t.Fatalf("AdmitAsync(%s): %v", addr, err)
		}
		return leave
	}
	async(residents[1])
	leave2 := async(residents[2])
	async(residents[3])
	// A blocking Admit shares residents[3]'s place.
	shared := make(chan error, 1)
	go func() { _, err := r.h.Admit(context.Background(), residents[3], t0); shared <- err }()
	r.waitWaiters(residents[3], 2)
	async(residents[4]) // fourth in line: 90ms, admitted
	if _, err := r.h.AdmitAsync(residents[5], t0, func() { t.Error("busy newcomer's done called") }); !errors.Is(err, ErrBusy) {
		t.Fatalf("fifth in line: %v, want busy", err)
	}
	if !leave2() {
		t.Error("leaving before the stretch: want true (done never called)")
	}
	if leave2() != true {
		t.Error("leaving twice changed its answer")
	}
	close(r.gate)
	if err := wait(t, first); err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 3 {
		got = append(got, waitFor(t, done))
	}
	if want := []string{residents[1], residents[3], residents[4]}; !slices.Equal(got, want) {
		t.Errorf("done for %q, want %q", got, want)
	}
	if err := wait(t, shared); err != nil {
		t.Fatal(err)
	}
	if got, want := r.stretched(), []string{residents[0], residents[1], residents[3], residents[4]}; !slices.Equal(got, want) {
		t.Errorf("stretched %q, want %q", got, want)
	}
	// Cached now: done at once, and leaving is too late.
	var now bool
	leave, err := r.h.AdmitAsync(residents[1], t0, func() { now = true })
	if err != nil || !now || leave() {
		t.Errorf("cached resident: err %v, done %v, leave true", err, now)
	}
}

func waitFor(t *testing.T, c <-chan string) string {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("timed out")
		return ""
	}
}
