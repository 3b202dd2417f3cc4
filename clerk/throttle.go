package clerk

import (
	"context"
	"sync"
	"time"
)

// Sign-in throttling. Failures are counted per source address and per
// account name, separately, over a sliding window of lockFor:
//
//   - addrFailures failed sign-ins from one address, whatever the names,
//     lock that address (for every name) for lockFor;
//   - nameFailures failed sign-ins of one existing account, coming from at
//     least nameAddrs different addresses, lock that name (from every
//     address) for lockFor.
//
// So one outsider, from one address, locks only their own address: the
// clerk still signs in from the desk. Locking a name everywhere takes a
// guesser spread over several addresses, which is the attack the name lock
// is for. A success clears nothing: otherwise a guesser with an account of
// their own could reset their address's count between guesses.
//
// The page says the same thing whether the password was wrong, the name
// unknown or a lock on, and takes as long (see server.login), so a guesser
// learns nothing from it.
const (
	addrFailures = 5
	nameFailures = 10
	nameAddrs    = 3
	lockFor      = 15 * time.Minute
	// maxTracked bounds the address records kept for failures; past it,
	// records that neither lock nor count any more are swept first.
	maxTracked = 10000
)

// Which lock refused a sign-in.
const (
	lockNone    = ""
	lockAddress = "address"
	lockName    = "name"
)

type failure struct {
	at   time.Time
	addr string
}

// record is the recent failures of one key ("name:NAME" or "addr:IP").
type record struct {
	fails       []failure // within lockFor of now, oldest first
	lockedUntil time.Time
	refusalSeen bool // a refusal during the current lock was reported
}

func (rc *record) prune(now time.Time) {
	i := 0
	for i < len(rc.fails) && now.Sub(rc.fails[i].at) >= lockFor {
		i++
	}
	rc.fails = rc.fails[i:]
}

func (rc *record) locked(now time.Time) bool { return now.Before(rc.lockedUntil) }

// throttle counts failed sign-ins and serializes the attempts on one name
// and on one address. It lives in memory only.
type throttle struct {
	mu    sync.Mutex
	m     map[string]*record
	gates map[string]*gate
}

// gate lets one attempt at a time through for a key; users counts the
// attempts holding or waiting for it, so that it is dropped when idle.
type gate struct {
	ch    chan struct{}
	users int
}

func newThrottle() *throttle {
	return &throttle{m: map[string]*record{}, gates: map[string]*gate{}}
}

func nameKey(name string) string { return "name:" + name }
func addrKey(addr string) string { return "addr:" + addr }

// enter waits until no other attempt holds any of keys, then holds them
// all until release is called. Keys are taken in the order given; every
// caller passes the name before the address, so two attempts never wait on
// each other in a cycle. It gives up when ctx ends (the client left).
func (t *throttle) enter(ctx context.Context, keys ...string) (release func(), err error) {
	var held []func()
	releaseAll := func() {
		for i := len(held) - 1; i >= 0; i-- {
			held[i]()
		}
	}
	for _, k := range keys {
		t.mu.Lock()
		g := t.gates[k]
		if g == nil {
			g = &gate{ch: make(chan struct{}, 1)}
			t.gates[k] = g
		}
		g.users++
		t.mu.Unlock()
		select {
		case g.ch <- struct{}{}:
			held = append(held, func() { <-g.ch; t.leave(k, g) })
		case <-ctx.Done():
			t.leave(k, g)
			releaseAll()
			return nil, ctx.Err()
		}
	}
	return releaseAll, nil
}

func (t *throttle) leave(k string, g *gate) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if g.users--; g.users == 0 {
		delete(t.gates, k)
	}
}

// locked says which lock, if any, refuses a sign-in of name from addr at
// now, and whether this is the first refusal of that lock (the one the
// audit log gets: a flood of refused tries must not fill the disk).
func (t *throttle) locked(now time.Time, name, addr string) (which string, first bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range []struct{ key, which string }{{addrKey(addr), lockAddress}, {nameKey(name), lockName}} {
		if rc, ok := t.m[c.key]; ok && rc.locked(now) {
			first = !rc.refusalSeen
			rc.refusalSeen = true
			return c.which, first
		}
	}
	return lockNone, false
}

// fail counts a failed sign-in of name from addr at now; account says
// whether name is an existing account (only those get a name record, so
// made-up names take no memory). It returns the locks this failure
// started.
func (t *throttle) fail(now time.Time, name, addr string, account bool) (started []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= maxTracked {
		t.sweep(now)
	}
	get := func(k string) *record {
		rc := t.m[k]
		if rc == nil {
			rc = &record{}
			t.m[k] = rc
		}
		rc.prune(now)
		return rc
	}
	a := get(addrKey(addr))
	a.fails = append(a.fails, failure{at: now, addr: addr})
	if len(a.fails) >= addrFailures && !a.locked(now) {
		a.lockedUntil, a.fails, a.refusalSeen = now.Add(lockFor), nil, false
		started = append(started, lockAddress)
	}
	if !account {
		return started
	}
	n := get(nameKey(name))
	n.fails = append(n.fails, failure{at: now, addr: addr})
	if len(n.fails) >= nameFailures && distinctAddrs(n.fails) >= nameAddrs && !n.locked(now) {
		n.lockedUntil, n.fails, n.refusalSeen = now.Add(lockFor), nil, false
		started = append(started, lockName)
	}
	return started
}

func distinctAddrs(fs []failure) int {
	seen := map[string]bool{}
	for _, f := range fs {
		seen[f.addr] = true
	}
	return len(seen)
}

// sweep drops records that neither lock nor count any more; the caller
// holds mu.
func (t *throttle) sweep(now time.Time) {
	for k, rc := range t.m {
		rc.prune(now)
		if !rc.locked(now) && len(rc.fails) == 0 {
			delete(t.m, k)
		}
	}
}
