package main

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/scheduling"
)

// keyring is the running program's identity hasher, swappable: rotate-key
// builds a new identity.Hasher for the new key set (a Hasher belongs to one
// set of keys) and swaps it in while channels keep calling it. A call that
// loaded the old Hasher finishes with it; the next one uses the new keys.
// The old Hasher's cache goes with it.
//
// The admission queue belongs to the keyring, not to one Hasher: every
// Hasher it builds runs its stretches on the same identity.Admission, so a
// rotation keeps the residents waiting in their order, the bound, the
// measured pace and the limit of one stretch per core.
type keyring struct {
	argon identity.Params
	adm   *identity.Admission
	h     atomic.Pointer[identity.Hasher]
	// dedupe is identity.DedupeKey of the keys in use: the webhook dedupe
	// marks' key, which rotate-key can change too.
	dedupe atomic.Pointer[[32]byte]
}

// newKeyring returns a keyring for keys with the default admission bound.
func newKeyring(keys []identity.Key, p identity.Params) (*keyring, error) {
	return newKeyringWait(keys, p, identity.DefaultMaxWait)
}

// newKeyringWait returns a keyring for keys that turns a newcomer away
// when their estimated wait for a stretch is over maxWait. Stretches and
// waits are timed on the wall clock, and counted in /metrics.
func newKeyringWait(keys []identity.Key, p identity.Params, maxWait time.Duration) (*keyring, error) {
	k := &keyring{argon: p, adm: identity.NewAdmission(identity.AdmissionConfig{
		MaxWait: maxWait,
		Now:     time.Now,
		Observe: admissionObserver(),
	})}
	if err := k.use(keys); err != nil {
		return nil, err
	}
	return k, nil
}

// use builds a Hasher for keys and makes it the current one.
func (k *keyring) use(keys []identity.Key) error {
	h, err := identity.NewHasherWith(keys, k.argon, k.adm)
	if err != nil {
		return err
	}
	k.h.Store(h)
	d := identity.DedupeKey(keys)
	k.dedupe.Store(&d)
	return nil
}

// DedupeKey is the key the channels digest webhook dedupe marks with.
func (k *keyring) DedupeKey() [32]byte { return *k.dedupe.Load() }

// Identities implements the Identities interface the channels and the
// clerk pages declare: ahead of the admission queue, never turned away.
func (k *keyring) Identities(address string, now time.Time) ([]scheduling.Identity, error) {
	return k.h.Load().Identities(address, now)
}

// Cached returns address's identities if they are in memory; see
// identity.Hasher.Cached.
func (k *keyring) Cached(address string, now time.Time) ([]scheduling.Identity, bool) {
	return k.h.Load().Cached(address, now)
}

// Admit waits in arrival order for address's identities, or says the line
// is busy; see identity.Hasher.Admit.
func (k *keyring) Admit(ctx context.Context, address string, now time.Time) ([]scheduling.Identity, error) {
	return k.h.Load().Admit(ctx, address, now)
}

// AdmitAsync takes address's place in the admission queue without a
// goroutine waiting; see identity.Hasher.AdmitAsync.
func (k *keyring) AdmitAsync(address string, now time.Time, done func()) (func() bool, error) {
	return k.h.Load().AdmitAsync(address, now, done)
}

// Check says whether Admit would turn address away now; see
// identity.Hasher.Check.
func (k *keyring) Check(address string, now time.Time) error {
	return k.h.Load().Check(address, now)
}

// Sweep drops idle cached hashes; see identity.Hasher.Sweep.
func (k *keyring) Sweep(now time.Time) int { return k.h.Load().Sweep(now) }
