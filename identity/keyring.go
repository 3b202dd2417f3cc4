package identity

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/cita-city/cita/scheduling"
)

// Keyring is the running program's identity door: a Hasher for the live
// key set that a rotation swaps (Use) while channels keep calling it. A
// Hasher belongs to one key set, so each swap builds a new one; a call that
// loaded the old Hasher finishes with it, the next one uses the new keys,
// and the old Hasher's cache goes with it. Nothing outside the Keyring may
// keep identities across messages: a channel keeps the resident's address
// (a number, telegram:<id>) and asks again, so a rotation is seen at the
// next message (issue 14: a cache outside the keyring kept booking under a
// destroyed epoch).
//
// The Admission belongs to the Keyring, not to one Hasher: every Hasher it
// builds runs its stretches on the same one, so a rotation keeps the
// residents waiting in their order, the bound, the measured pace and the
// limit of one stretch per core.
type Keyring struct {
	params Params
	adm    *Admission
	h      atomic.Pointer[Hasher]
	// dedupe is DedupeKey of the keys in use: the webhook dedupe marks'
	// key, which a rotation can change too.
	dedupe atomic.Pointer[[32]byte]
}

// NewKeyring returns a Keyring for keys (any order; at least one) whose
// stretches, under every key set it is given, run on a.
func NewKeyring(keys []Key, p Params, a *Admission) (*Keyring, error) {
	if a == nil {
		return nil, errors.New("identity: keyring: no admission")
	}
	k := &Keyring{params: p, adm: a}
	if err := k.Use(keys); err != nil {
		return nil, err
	}
	return k, nil
}

// Use makes keys the live key set: the next call hashes under them. Rotate
// calls it before the key file loses a key and after it gains one.
func (k *Keyring) Use(keys []Key) error {
	h, err := NewHasherWith(keys, k.params, k.adm)
	if err != nil {
		return err
	}
	d := DedupeKey(keys)
	k.h.Store(h)
	k.dedupe.Store(&d)
	return nil
}

// Keys describes the live keys, newest first, without their secrets.
func (k *Keyring) Keys() []KeyInfo { return k.h.Load().Keys() }

// DedupeKey is the key the channels digest webhook dedupe marks with.
func (k *Keyring) DedupeKey() [32]byte { return *k.dedupe.Load() }

// Identities returns address's identities under the live keys, ahead of
// the admission queue and never turned away; see Hasher.Identities.
func (k *Keyring) Identities(address string, now time.Time) ([]scheduling.Identity, error) {
	return k.h.Load().Identities(address, now)
}

// Cached returns address's identities if they are in memory under the
// live keys; see Hasher.Cached.
func (k *Keyring) Cached(address string, now time.Time) ([]scheduling.Identity, bool) {
	return k.h.Load().Cached(address, now)
}

// Admit waits in arrival order for address's identities, or says the line
// is busy; see Hasher.Admit. A resident who waited through a swap gets
// identities under the key set live when their turn came: asked again of
// the new Hasher, ahead of the queue, since they have waited already.
func (k *Keyring) Admit(ctx context.Context, address string, now time.Time) ([]scheduling.Identity, error) {
	h := k.h.Load()
	ids, err := h.Admit(ctx, address, now)
	if cur := k.h.Load(); err == nil && cur != h {
		return cur.Identities(address, now)
	}
	return ids, err
}

// AdmitAsync takes address's place in the admission queue without a
// goroutine waiting; see Hasher.AdmitAsync.
func (k *Keyring) AdmitAsync(address string, now time.Time, done func()) (func() bool, error) {
	return k.h.Load().AdmitAsync(address, now, done)
}

// Check says whether Admit would turn address away now; see Hasher.Check.
func (k *Keyring) Check(address string, now time.Time) error {
	return k.h.Load().Check(address, now)
}

// Sweep drops idle cached hashes of the live key set; see Hasher.Sweep.
func (k *Keyring) Sweep(now time.Time) int { return k.h.Load().Sweep(now) }
