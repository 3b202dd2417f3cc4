package identity

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/cita-city/cita/scheduling"
)

// Rotation policy (promise P7, docs/DESIGN.md section 2): a new epoch is
// added when the newest key is RotatePolicy.EveryDays old, and a retired
// key is destroyed as soon as no stored appointment uses its epoch; in a
// running server, not before the run after the one that retired it (see
// Rotator.Rotate). The newest key is never destroyed. cmd/bot only
// schedules Rotate and reads the key file for it.

// RotatePolicy is when Rotate adds an epoch.
type RotatePolicy struct {
	// EveryDays is how old the newest key may get before a new epoch is
	// added (CITA_KEY_ROTATE_DAYS; at least 1).
	EveryDays int
	// Force adds an epoch whatever the newest key's age.
	Force bool
}

// Due reports whether an epoch is to be added on today given the newest
// key. A clock set back (newest key "from the future") is never due.
func (p RotatePolicy) Due(newest KeyInfo, today scheduling.Date) bool {
	return p.Force || !today.Before(newest.Created.AddDays(p.EveryDays))
}

// Retire splits keys into those to keep, newest first (the newest, and
// every older one whose epoch inUse counts an appointment under), and the
// epochs to destroy, ascending. keys may be in any order.
func Retire(keys []Key, inUse map[uint32]int) (live []Key, destroyed []uint32) {
	sorted := sortedNewestFirst(keys)
	if len(sorted) == 0 {
		return nil, nil
	}
	live = []Key{sorted[0]}
	for _, k := range sorted[1:] {
		if inUse[k.Epoch] > 0 {
			live = append(live, k)
		} else {
			destroyed = append(destroyed, k.Epoch)
		}
	}
	slices.Sort(destroyed)
	return live, destroyed
}

// Rotation is what Rotate did.
type Rotation struct {
	Added     *KeyInfo // the new epoch, if one was added
	Destroyed []uint32 // epochs whose keys were destroyed, ascending
	Keys      []Key    // the key set now in the file, newest first
}

// String is the operator's account of the rotation: epochs and dates,
// never a secret.
func (r Rotation) String() string {
	var b strings.Builder
	if r.Added != nil {
		fmt.Fprintf(&b, "rotate-key: added key epoch %d (created %v)\n", r.Added.Epoch, r.Added.Created)
	} else if len(r.Keys) > 0 {
		fmt.Fprintf(&b, "rotate-key: newest key epoch %d (created %v) is not due for rotation\n", r.Keys[0].Epoch, r.Keys[0].Created)
	}
	for _, e := range r.Destroyed {
		fmt.Fprintf(&b, "rotate-key: destroyed key epoch %d: no stored appointment uses it; its hashes can no longer be linked to anyone\n", e)
	}
	live := make([]string, len(r.Keys))
	for i, k := range r.Keys {
		live[i] = fmt.Sprint(k.Epoch)
	}
	fmt.Fprintf(&b, "rotate-key: live epochs %s\n", strings.Join(live, ", "))
	return b.String()
}

// Rotator runs rotate-key on one key file.
type Rotator struct {
	Files  Files
	Path   string
	Policy RotatePolicy
	// Rand draws new secrets (crypto/rand.Reader).
	Rand io.Reader
	// InUse counts the stored appointments under each epoch
	// (storage.Store.Epochs). It is asked after the new epoch is in use, so
	// no booking under an older key can come after the count.
	InUse func() (map[uint32]int, error)
	// Use is given each new key set: after the file gains a key, and before
	// it loses one, so a running server hashes new identities under the new
	// key before the old key goes. Keyring.Use in bot serve; nil when no
	// server runs in this process (bot jobs run).
	Use func([]Key) error
}

// Rotate adds an epoch to keys (the file's, as read by the caller) on today
// if the policy says so, then destroys every retired key no stored
// appointment uses, writing the file (WriteKeyFile) after each change.
// With Use set (a running server), a key retired by this run is kept until
// the next: identities under it may still be on their way to a booking.
// Run twice, or late, it does nothing wrong: an epoch is added at most once
// per EveryDays, and a key is destroyed only once nothing uses it.
func (r Rotator) Rotate(keys []Key, today scheduling.Date) (Rotation, error) {
	var rot Rotation
	if len(keys) == 0 {
		return rot, errors.New("identity: rotate: no keys")
	}
	if r.InUse == nil || r.Rand == nil || r.Files == nil {
		return rot, errors.New("identity: rotate: Files, Rand and InUse are required")
	}
	use := r.Use
	if use == nil {
		use = func([]Key) error { return nil }
	}
	keys = sortedNewestFirst(keys)
	if newest := keys[0]; r.Policy.Due(newest.Info(), today) {
		k, err := NewKey(newest.Epoch+1, today, r.Rand)
		if err != nil {
			return rot, fmt.Errorf("identity: rotate: %w", err)
		}
		keys = append([]Key{k}, keys...)
		if err := WriteKeyFile(r.Files, r.Path, keys); err != nil {
			return rot, err
		}
		if err := use(keys); err != nil {
			return rot, fmt.Errorf("identity: rotate: use the new key: %w", err)
		}
		info := k.Info()
		rot.Added = &info
	}
	used, err := r.InUse()
	if err != nil {
		return rot, fmt.Errorf("identity: rotate: epochs in use: %w", err)
	}
	if r.Use != nil && rot.Added != nil {
		// In a running server, identities under the key retired just now
		// may be out and not booked yet (handed out just before the swap,
		// on their way through the engine to a booking), so the count
		// cannot vouch for that key: it goes at the next run, whose count
		// includes what they booked.
		used = maps.Clone(used)
		if used == nil {
			used = map[uint32]int{}
		}
		used[keys[1].Epoch]++
	}
	live, destroyed := Retire(keys, used)
	if len(destroyed) > 0 {
		if err := use(live); err != nil {
			return rot, fmt.Errorf("identity: rotate: drop retired keys: %w", err)
		}
		if err := WriteKeyFile(r.Files, r.Path, live); err != nil {
			return rot, err
		}
	}
	rot.Destroyed, rot.Keys = destroyed, live
	return rot, nil
}
