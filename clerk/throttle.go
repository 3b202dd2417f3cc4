package clerk

import (
	"sync"
	"time"
)

// Sign-in throttling: after maxFailures failed sign-ins within lockFor, the
// account, and separately the client address, cannot sign in for lockFor.
// The page says the same thing whether the password was wrong, the name
// unknown or the lock on, so a guesser learns nothing from it.
const (
	maxFailures = 5
	lockFor     = 15 * time.Minute
	// maxTracked bounds the memory held for failures; past it, the
	// oldest-looking entries are swept first.
	maxTracked = 10000
)

type attempts struct {
	failures    int
	first       time.Time // first failure of the current count
	lockedUntil time.Time
}

// throttle counts failed sign-ins per key ("account:NAME", "addr:IP"). It
// lives in memory only.
type throttle struct {
	mu sync.Mutex
	m  map[string]*attempts
}

func newThrottle() *throttle { return &throttle{m: map[string]*attempts{}} }

// locked reports whether any of keys is locked at now.
func (t *throttle) locked(now time.Time, keys ...string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		if a, ok := t.m[k]; ok && now.Before(a.lockedUntil) {
			return true
		}
	}
	return false
}

// fail counts a failed sign-in against each of keys.
func (t *throttle) fail(now time.Time, keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= maxTracked {
		t.sweep(now)
	}
	for _, k := range keys {
		a, ok := t.m[k]
		if !ok || now.Sub(a.first) >= lockFor && !now.Before(a.lockedUntil) {
			a = &attempts{first: now}
			t.m[k] = a
		}
		a.failures++
		if a.failures >= maxFailures {
			a.lockedUntil = now.Add(lockFor)
			a.failures = 0
			a.first = now
		}
	}
}

// succeed forgets the failures of keys.
func (t *throttle) succeed(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		delete(t.m, k)
	}
}

// sweep drops entries that neither lock nor count any more; the caller
// holds mu.
func (t *throttle) sweep(now time.Time) {
	for k, a := range t.m {
		if !now.Before(a.lockedUntil) && now.Sub(a.first) >= lockFor {
			delete(t.m, k)
		}
	}
}
