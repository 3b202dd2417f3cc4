package twilio

import (
	"crypto/hmac"
	"crypto/sha256"
	"sync"
	"time"
)

// DedupeTTL is how long a delivered webhook is remembered, so that Twilio's
// retry of it, or a replay of a captured request, is not processed twice.
const DedupeTTL = 48 * time.Hour

// Deliveries keeps webhook dedupe marks where they survive a restart;
// storage.Store implements it. Twilio's signature carries no time, so a
// captured request stays valid: marks kept only in memory would let it be
// replayed after every restart.
type Deliveries interface {
	// FirstDelivery records digest and reports whether it is new within
	// the window (48 h).
	FirstDelivery(digest [32]byte, now time.Time) (bool, error)
	ForgetDelivery(digest [32]byte) error
	// PurgeDeliveries drops marks older than the window.
	PurgeDeliveries(now time.Time) (int, error)
}

// dedupe remembers the webhooks already processed, by a digest of their
// MessageSid or idempotency token: not even a provider id is kept. With a
// Deliveries store the digest is keyed (HMAC under the dedupe key,
// identity.DedupeKey), so the stored marks cannot be matched against
// Twilio's log without the key file; without one (tests, bot chat), marks
// live in memory and go when the process stops.
type dedupe struct {
	store   Deliveries      // optional
	key     func() [32]byte // with store: the current dedupe key
	onError func(err error) // with store: a store call failed (logged without ids)

	mu    sync.Mutex
	marks map[[32]byte]time.Time // without store, or when the store fails
}

func newDedupe(store Deliveries, key func() [32]byte, onError func(error)) *dedupe {
	if key == nil {
		key = func() [32]byte { return [32]byte{} }
	}
	if onError == nil {
		onError = func(error) {}
	}
	return &dedupe{store: store, key: key, onError: onError, marks: map[[32]byte]time.Time{}}
}

// mark is the unkeyed digest of a provider id of one kind ("sid",
// "token"); it lives only in memory.
func mark(kind, id string) [32]byte { return sha256.Sum256([]byte(kind + "\x00" + id)) }

// keyed is what the store gets for mark m: identity.DeliveryDigest of the
// id the mark was made from.
func (d *dedupe) keyed(m [32]byte) [32]byte {
	k := d.key()
	h := hmac.New(sha256.New, k[:])
	h.Write(m[:])
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// first records keys at now and reports whether none was seen within the
// TTL. With a store, each key is recorded there (an fsync'd write, so the
// mark outlives a crash right after the reply); if the store fails the
// mark is kept in memory instead, so retries to this process are still
// caught.
func (d *dedupe) first(now time.Time, keys ...[32]byte) bool {
	if d.store == nil {
		return d.firstInMemory(now, keys...)
	}
	fresh := true
	for _, k := range keys {
		ok, err := d.store.FirstDelivery(d.keyed(k), now)
		if err != nil {
			d.onError(err)
			ok = d.firstInMemory(now, k)
		}
		fresh = fresh && ok
	}
	return fresh
}

func (d *dedupe) firstInMemory(now time.Time, keys ...[32]byte) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, k := range keys {
		if at, ok := d.marks[k]; ok && now.Sub(at) < DedupeTTL {
			return false
		}
	}
	for _, k := range keys {
		d.marks[k] = now
	}
	return true
}

// forget drops keys, so a webhook that failed can be processed on retry.
func (d *dedupe) forget(keys ...[32]byte) {
	if d.store != nil {
		for _, k := range keys {
			if err := d.store.ForgetDelivery(d.keyed(k)); err != nil {
				d.onError(err)
			}
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, k := range keys {
		delete(d.marks, k)
	}
}

// sweep drops marks older than the TTL, in the store and in memory, and
// returns how many.
func (d *dedupe) sweep(now time.Time) int {
	n := 0
	if d.store != nil {
		purged, err := d.store.PurgeDeliveries(now)
		if err != nil {
			d.onError(err)
		}
		n += purged
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, at := range d.marks {
		if now.Sub(at) >= DedupeTTL {
			delete(d.marks, k)
			n++
		}
	}
	return n
}
