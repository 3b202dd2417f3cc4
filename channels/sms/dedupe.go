package sms

import (
	"crypto/sha256"
	"sync"
	"time"
)

// DedupeTTL is how long a delivered webhook is remembered, so that Twilio's
// retry of it is not processed twice (P4: in memory only).
const DedupeTTL = 48 * time.Hour

// dedupe remembers the webhooks already processed, by a hash of their
// MessageSid or idempotency token: not even a provider id is kept.
type dedupe struct {
	mu    sync.Mutex
	marks map[[32]byte]time.Time
}

func newDedupe() *dedupe { return &dedupe{marks: map[[32]byte]time.Time{}} }

func mark(kind, id string) [32]byte { return sha256.Sum256([]byte(kind + "\x00" + id)) }

// first records keys at now and reports whether none was seen within the
// TTL. Empty ids are ignored.
func (d *dedupe) first(now time.Time, keys ...[32]byte) bool {
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
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, k := range keys {
		delete(d.marks, k)
	}
}

func (d *dedupe) sweep(now time.Time) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for k, at := range d.marks {
		if now.Sub(at) >= DedupeTTL {
			delete(d.marks, k)
			n++
		}
	}
	return n
}
