package identity

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/cita-city/cita/scheduling"
)

// Params are the argon2id costs of one stretch. Memory is in KiB.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultParams are OWASP's argon2id settings: 19 MiB, 2 passes, 1 lane.
// Tens of milliseconds a hash on one core: invisible to a resident once per
// session, and days of CPU for anyone trying every number of a city.
func DefaultParams() Params { return Params{Memory: 19 * 1024, Time: 2, Threads: 1} }

func (p Params) validate() error {
	switch {
	case p.Time < 1:
		return errors.New("argon2 time must be at least 1")
	case p.Threads < 1:
		return errors.New("argon2 threads must be at least 1")
	case p.Memory < 8*uint32(p.Threads):
		return errors.New("argon2 memory must be at least 8 KiB per thread")
	}
	return nil
}

// CacheTTL is how long an address's identities stay in memory after its
// last use: the length of an idle conversation session.
const CacheTTL = 30 * time.Minute

// saltPrefix with the epoch appended (20 bytes) is the argon2 salt.
//
// The salt is fixed per epoch, not random per record, on purpose: the same
// address must give the same hash so that a returning resident finds their
// appointment with one lookup. What a salt usually buys, making every
// record cost its own brute force and ruling out precomputed tables, is
// already bought by the HMAC: its input to argon2 depends on the secret key,
// so nothing can be precomputed without the key, and with the key each
// epoch is a search of its own. The domain string keeps these hashes apart
// from any other use of the same construction; the epoch keeps epochs apart
// even if a secret were ever reused.
const saltPrefix = "cita identity v1"

// Hasher turns addresses into identities under a fixed set of live keys. It
// is safe for concurrent use. When keys rotate, build a new Hasher on the
// same Admission (NewHasherWith): the cache belongs to one key set, the
// workers and the queue to the Admission.
//
// The cache is keyed by the HMAC of the address under the newest key, not
// by the address, so no phone number sits in memory beyond the request that
// brought it: work waiting for a worker holds the address's HMACs, not the
// address. Entries live in memory only and expire after CacheTTL idle.
type Hasher struct {
	keys   []Key // newest first
	params Params
	adm    *Admission

	mu    sync.Mutex
	cache map[[32]byte]*cacheEntry

	// onStretch, when set (tests), runs at the start of every stretch while
	// it holds its worker.
	onStretch func(mac [32]byte)
}

type cacheEntry struct {
	ready    chan struct{} // closed once ids is set (or the work was withdrawn)
	ids      []scheduling.Identity
	lastUsed time.Time // guarded by Hasher.mu
	// work is the entry's ticket while it waits or runs, nil once done;
	// waiters counts the calls waiting for it, subs those of AdmitAsync.
	// All guarded by Hasher.mu.
	work    *ticket
	waiters int
	subs    []*sub
}

// sub is an AdmitAsync caller waiting for an entry.
type sub struct {
	done func()
	gone bool // left: done is not to be called
}

// NewHasher returns a Hasher for keys (any order; at least one) on an
// Admission of its own that runs at most workers argon2 stretches at once,
// each holding p.Memory KiB, and turns no one away. workers <= 0 means one
// per CPU.
func NewHasher(keys []Key, p Params, workers int) (*Hasher, error) {
	return NewHasherWith(keys, p, NewAdmission(AdmissionConfig{Workers: workers}))
}

// NewHasherWith returns a Hasher for keys (any order; at least one) whose
// stretches run on a's workers, in a's order.
func NewHasherWith(keys []Key, p Params, a *Admission) (*Hasher, error) {
	if len(keys) == 0 {
		return nil, errors.New("identity: hasher: no keys")
	}
	if a == nil {
		return nil, errors.New("identity: hasher: no admission")
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("identity: hasher: %w", err)
	}
	sorted := sortedNewestFirst(keys)
	for i := 1; i < len(sorted); i++ {
		if sorted[i].Epoch == sorted[i-1].Epoch {
			return nil, fmt.Errorf("identity: hasher: epoch %d given twice", sorted[i].Epoch)
		}
	}
	return &Hasher{
		keys:   sorted,
		params: p,
		adm:    a,
		cache:  make(map[[32]byte]*cacheEntry),
	}, nil
}

// Keys describes the live keys, newest first, without their secrets.
func (h *Hasher) Keys() []KeyInfo {
	infos := make([]KeyInfo, len(h.keys))
	for i, k := range h.keys {
		infos[i] = k.Info()
	}
	return infos
}

// Identities returns address hashed under every live key, newest epoch
// first: [0] is the identity new bookings use, the rest are aliases under
// older keys for finding existing appointments. address is an E.164 number
// (see NormalizePhone) or a TelegramAddress.
//
// It goes ahead of the residents queued by Admit and is never turned away:
// a clerk at the counter, the local chat and tools are not held behind a
// surge. The result is cached, so the stretches run once per session;
// concurrent first calls for one address (Admit's included) wait for a
// single computation. now only marks the entry as used; Sweep drops
// entries idle for CacheTTL.
func (h *Hasher) Identities(address string, now time.Time) ([]scheduling.Identity, error) {
	return h.get(context.Background(), address, now, true)
}

// Admit returns address's identities like Identities, but waits its turn
// in arrival order behind the residents already queued, and is the one to
// use for a resident's message. It returns a *BusyError at once, doing
// nothing, when the estimated wait is over the Admission's bound. If ctx
// ends while the work waits (and no other call waits for the same
// address), the work leaves the queue and nothing is stretched.
func (h *Hasher) Admit(ctx context.Context, address string, now time.Time) ([]scheduling.Identity, error) {
	return h.get(ctx, address, now, false)
}

// AdmitAsync is Admit without a goroutine waiting: it takes address's
// place in the arrival line (or shares the one taken) and returns at once.
// done is called once address's identities are cached (then ask Cached),
// on a worker's goroutine or, if they already are, before AdmitAsync
// returns; it must not block. A newcomer beyond the bound gets a
// *BusyError and nothing is queued. leave gives the place up: it reports
// true if done will never be called (the stretch had not started and, if
// no one else waits for it, never will), false if done has been or will
// be called.
func (h *Hasher) AdmitAsync(address string, now time.Time, done func()) (leave func() bool, err error) {
	if address == "" {
		return nil, errors.New("identity: empty address")
	}
	macs := h.macs(address)
	h.mu.Lock()
	e, ok := h.entryLocked(macs[0], now)
	if ok && e.done() {
		h.mu.Unlock()
		done()
		return func() bool { return false }, nil
	}
	if !ok {
		if err := h.adm.check(); err != nil {
			h.mu.Unlock()
			return nil, err
		}
		e = h.newEntryLocked(macs, now, false)
	}
	e.waiters++
	s := &sub{done: done}
	e.subs = append(e.subs, s)
	h.mu.Unlock()
	return func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		if s.gone {
			return true
		}
		if e.done() {
			return false
		}
		if e.waiters > 1 {
			e.waiters--
			s.gone = true
			return true
		}
		if !h.adm.withdraw(e.work) {
			return false // already stretching: done comes soon
		}
		e.waiters--
		s.gone = true
		h.dropLocked(macs[0], e)
		return true
	}, nil
}

// Cached returns address's identities if they are in memory, never
// stretching and never waiting: false if they are not, or are still being
// worked out.
func (h *Hasher) Cached(address string, now time.Time) ([]scheduling.Identity, bool) {
	if address == "" {
		return nil, false
	}
	mac := keyedMAC(h.keys[0], address)
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.entryLocked(mac, now)
	if !ok || !e.done() {
		return nil, false
	}
	return cloneIDs(e.ids), true
}

// Check returns the *BusyError Admit would return for address now, without
// queueing anything: nil if address is cached or being worked out (Admit
// would share that work), or if the wait is within the bound. A busy
// answer counts as a resident turned away, so do not call Admit after it.
func (h *Hasher) Check(address string, now time.Time) error {
	if address == "" {
		return errors.New("identity: empty address")
	}
	mac := keyedMAC(h.keys[0], address)
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.entryLocked(mac, now); ok {
		return nil
	}
	return h.adm.check()
}

// entryLocked returns the cache entry of mac, dropping it if it expired,
// and marks it used at now. The caller holds h.mu.
func (h *Hasher) entryLocked(mac [32]byte, now time.Time) (*cacheEntry, bool) {
	e, ok := h.cache[mac]
	if !ok {
		return nil, false
	}
	if e.done() && expired(e.lastUsed, now) {
		delete(h.cache, mac)
		return nil, false
	}
	if now.After(e.lastUsed) {
		e.lastUsed = now
	}
	return e, true
}

func (h *Hasher) get(ctx context.Context, address string, now time.Time, urgent bool) ([]scheduling.Identity, error) {
	if address == "" {
		return nil, errors.New("identity: empty address")
	}
	macs := h.macs(address)
	for {
		h.mu.Lock()
		e, ok := h.entryLocked(macs[0], now)
		switch {
		case ok && e.done():
			h.mu.Unlock()
			return cloneIDs(e.ids), nil
		case ok && urgent:
			h.adm.promote(e.work)
		case !ok:
			if !urgent {
				if err := h.adm.check(); err != nil {
					h.mu.Unlock()
					return nil, err
				}
			}
			e = h.newEntryLocked(macs, now, urgent)
		}
		e.waiters++
		h.mu.Unlock()

		select {
		case <-e.ready:
		case <-ctx.Done():
			if h.leave(macs[0], e) {
				return nil, fmt.Errorf("identity: left the queue: %w", ctx.Err())
			}
			<-e.ready // already stretching: it is cached for the next message
		}
		if e.ids == nil {
			continue // withdrawn by its last waiter just before we came
		}
		return cloneIDs(e.ids), nil
	}
}

// leave is a waiter of e giving up. If it was the last and the work has
// not started, the work is withdrawn and the entry dropped. It reports
// whether the caller should stop waiting (the work is not running).
func (h *Hasher) leave(mac [32]byte, e *cacheEntry) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	e.waiters--
	if e.done() {
		return false
	}
	if e.waiters > 0 {
		return true
	}
	if !h.adm.withdraw(e.work) {
		return false
	}
	h.dropLocked(mac, e)
	return true
}

// dropLocked forgets e, whose work was withdrawn before it started.
func (h *Hasher) dropLocked(mac [32]byte, e *cacheEntry) {
	e.work = nil
	if h.cache[mac] == e {
		delete(h.cache, mac)
	}
	close(e.ready)
}

// newEntryLocked makes the cache entry of macs and queues its work.
func (h *Hasher) newEntryLocked(macs [][32]byte, now time.Time, urgent bool) *cacheEntry {
	e := &cacheEntry{ready: make(chan struct{}), lastUsed: now}
	h.cache[macs[0]] = e
	e.work = h.adm.enqueue(len(macs), urgent, func() { h.compute(e, macs) })
	return e
}

// macs returns address's HMAC under each live key, newest first.
func (h *Hasher) macs(address string) [][32]byte {
	macs := make([][32]byte, len(h.keys))
	for i, k := range h.keys {
		macs[i] = keyedMAC(k, address)
	}
	return macs
}

// compute runs e's stretches on a worker of the Admission.
func (h *Hasher) compute(e *cacheEntry, macs [][32]byte) {
	ids := make([]scheduling.Identity, len(h.keys))
	for i, k := range h.keys {
		ids[i] = h.stretch(macs[i], k.Epoch)
	}
	h.mu.Lock()
	e.ids = ids
	e.work = nil
	close(e.ready)
	var done []func()
	for _, s := range e.subs {
		if !s.gone {
			done = append(done, s.done)
		}
	}
	e.subs = nil
	h.mu.Unlock()
	for _, f := range done {
		f()
	}
}

// Sweep drops cache entries idle for CacheTTL or longer at now and reports
// how many it dropped.
func (h *Hasher) Sweep(now time.Time) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for mac, e := range h.cache {
		if e.done() && expired(e.lastUsed, now) {
			delete(h.cache, mac)
			n++
		}
	}
	return n
}

// Hash returns address hashed under k, bypassing the cache. It still waits
// for a free worker, ahead of queued residents. For tools and tests; the
// bot uses Identities and Admit.
func (h *Hasher) Hash(address string, k Key) scheduling.Identity {
	mac := keyedMAC(k, address)
	var id scheduling.Identity
	done := make(chan struct{})
	h.adm.enqueue(1, true, func() {
		id = h.stretch(mac, k.Epoch)
		close(done)
	})
	<-done
	return id
}

// stretch runs argon2id over mac. Callers run it on a worker of the
// Admission, so that at most its workers stretches hold their memory at
// once.
func (h *Hasher) stretch(mac [32]byte, epoch uint32) scheduling.Identity {
	if h.onStretch != nil {
		h.onStretch(mac)
	}
	start := h.adm.start()
	defer h.adm.stretched(start)
	var salt [len(saltPrefix) + 4]byte
	copy(salt[:], saltPrefix)
	binary.BigEndian.PutUint32(salt[len(saltPrefix):], epoch)
	id := scheduling.Identity{Epoch: epoch}
	copy(id.Hash[:], argon2.IDKey(mac[:], salt[:], h.params.Time, h.params.Memory, h.params.Threads, 32))
	return id
}

func keyedMAC(k Key, address string) [32]byte {
	m := hmac.New(sha256.New, k.Secret[:])
	m.Write([]byte(address))
	var out [32]byte
	m.Sum(out[:0])
	return out
}

func (e *cacheEntry) done() bool {
	select {
	case <-e.ready:
		return true
	default:
		return false
	}
}

func expired(lastUsed, now time.Time) bool { return now.Sub(lastUsed) >= CacheTTL }

func cloneIDs(ids []scheduling.Identity) []scheduling.Identity {
	return append([]scheduling.Identity(nil), ids...)
}
