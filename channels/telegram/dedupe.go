package telegram

import (
	"strconv"
	"sync"
	"time"

	"github.com/cita-city/cita/identity"
)

// Deliveries remembers which updates were acted on, so that an update
// Telegram delivers again (a retried webhook, a poll after a crash, a
// replay after a restart) acts once. It holds keyed digests of update ids,
// nothing about the resident; storage.Store implements it, across
// restarts (docs/PRIVACY.md says what it keeps and for how long).
type Deliveries interface {
	// FirstDelivery records digest and reports whether it was new within
	// the store's window.
	FirstDelivery(digest [32]byte, now time.Time) (bool, error)
	// ForgetDelivery drops digest, so that the update acts when delivered
	// again: for an update recorded but then not taken.
	ForgetDelivery(digest [32]byte) error
}

// deliveryDigest is the digest Deliveries keeps for update id: the
// keyed digest identity defines for every channel, so the stored value
// says nothing without the key file.
func deliveryDigest(key [32]byte, updateID int) [32]byte {
	return identity.DeliveryDigest(key, "update", strconv.Itoa(updateID))
}

// memoryDeliveries is the Deliveries of a channel given none: the window
// lives in this process only, so a restart forgets it.
type memoryDeliveries struct {
	mu        sync.Mutex
	seen      map[[32]byte]time.Time
	lastSweep time.Time
}

var _ Deliveries = (*memoryDeliveries)(nil)

func newMemoryDeliveries() *memoryDeliveries {
	return &memoryDeliveries{seen: map[[32]byte]time.Time{}}
}

func (m *memoryDeliveries) FirstDelivery(d [32]byte, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if at, dup := m.seen[d]; dup && now.Sub(at) < remember {
		return false, nil
	}
	m.seen[d] = now
	if now.Sub(m.lastSweep) > time.Minute {
		m.sweepLocked(now)
	}
	return true, nil
}

func (m *memoryDeliveries) ForgetDelivery(d [32]byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.seen, d)
	return nil
}

// sweep drops digests older than the window.
func (m *memoryDeliveries) sweep(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweepLocked(now)
}

func (m *memoryDeliveries) sweepLocked(now time.Time) {
	m.lastSweep = now
	for d, at := range m.seen {
		if now.Sub(at) >= remember {
			delete(m.seen, d)
		}
	}
}
