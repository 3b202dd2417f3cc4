package main

import (
	"sync/atomic"
	"time"

	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/scheduling"
)

// keyring is the running program's identity hasher, swappable: rotate-key
// builds a new identity.Hasher for the new key set (a Hasher belongs to one
// set of keys) and swaps it in while channels keep calling Identities. A
// call that loaded the old Hasher finishes with it; the next one uses the
// new keys. The old Hasher's cache goes with it.
type keyring struct {
	argon identity.Params
	h     atomic.Pointer[identity.Hasher]
}

func newKeyring(keys []identity.Key, p identity.Params) (*keyring, error) {
	k := &keyring{argon: p}
	if err := k.use(keys); err != nil {
		return nil, err
	}
	return k, nil
}

// use builds a Hasher for keys and makes it the current one.
func (k *keyring) use(keys []identity.Key) error {
	h, err := identity.NewHasher(keys, k.argon, 0)
	if err != nil {
		return err
	}
	k.h.Store(h)
	return nil
}

// Identities implements the Identities interface the channels and the
// clerk pages declare.
func (k *keyring) Identities(address string, now time.Time) ([]scheduling.Identity, error) {
	return k.h.Load().Identities(address, now)
}

// Sweep drops idle cached hashes; see identity.Hasher.Sweep.
func (k *keyring) Sweep(now time.Time) int { return k.h.Load().Sweep(now) }
