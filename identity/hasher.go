package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
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
// is safe for concurrent use. When keys rotate, build a new Hasher: the
// cache belongs to one key set.
//
// The cache is keyed by the HMAC of the address under the newest key, not
// by the address, so no phone number sits in memory beyond the request that
// brought it. Entries live in memory only and expire after CacheTTL idle.
type Hasher struct {
	keys   []Key // newest first
	params Params
	sem    chan struct{} // one slot per concurrent stretch

	mu    sync.Mutex
	cache map[[32]byte]*cacheEntry

	// onStretch, when set (tests), runs at the start of every stretch while
	// it holds its slot in sem.
	onStretch func()
}

type cacheEntry struct {
	ready    chan struct{} // closed once ids is set
	ids      []scheduling.Identity
	lastUsed time.Time // guarded by Hasher.mu
}

// NewHasher returns a Hasher for keys (any order; at least one) that runs at
// most workers argon2 stretches at once, each holding p.Memory KiB.
// workers <= 0 means one per CPU.
func NewHasher(keys []Key, p Params, workers int) (*Hasher, error) {
	if len(keys) == 0 {
		return nil, errors.New("identity: hasher: no keys")
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
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	return &Hasher{
		keys:   sorted,
		params: p,
		sem:    make(chan struct{}, workers),
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
// The result is cached, so the stretches run once per session; concurrent
// first calls for one address wait for a single computation. now only
// marks the entry as used; Sweep drops entries idle for CacheTTL.
func (h *Hasher) Identities(address string, now time.Time) ([]scheduling.Identity, error) {
	if address == "" {
		return nil, errors.New("identity: empty address")
	}
	mac := keyedMAC(h.keys[0], address)

	h.mu.Lock()
	e, ok := h.cache[mac]
	if ok && e.done() && expired(e.lastUsed, now) {
		delete(h.cache, mac)
		ok = false
	}
	if ok {
		if now.After(e.lastUsed) {
			e.lastUsed = now
		}
		h.mu.Unlock()
		<-e.ready
		return cloneIDs(e.ids), nil
	}
	e = &cacheEntry{ready: make(chan struct{}), lastUsed: now}
	h.cache[mac] = e
	h.mu.Unlock()

	ids := make([]scheduling.Identity, len(h.keys))
	ids[0] = h.stretch(mac, h.keys[0].Epoch)
	for i, k := range h.keys[1:] {
		ids[i+1] = h.stretch(keyedMAC(k, address), k.Epoch)
	}
	e.ids = ids
	close(e.ready)
	return cloneIDs(ids), nil
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
// for a free worker. For tools and tests; the bot uses Identities.
func (h *Hasher) Hash(address string, k Key) scheduling.Identity {
	return h.stretch(keyedMAC(k, address), k.Epoch)
}

// stretch runs argon2id over mac, waiting for a free slot first so that at
// most cap(h.sem) stretches hold their memory at once.
func (h *Hasher) stretch(mac [32]byte, epoch uint32) scheduling.Identity {
	h.sem <- struct{}{}
	defer func() { <-h.sem }()
	if h.onStretch != nil {
		h.onStretch()
	}
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
