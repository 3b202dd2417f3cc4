package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DeliveryWindow is how long a webhook delivery is remembered, so that a
// provider's retry of it, or a replay of a captured request, even across a
// restart, is not acted on twice. Twilio retries for a shorter time;
// Telegram keeps an update for up to 24 h.
const DeliveryWindow = 48 * time.Hour

// A delivery mark is stored as digest (32 bytes) -> the hour it was first
// seen (uint32 BE hours since 1970-01-01 UTC). The digest is keyed by the
// caller (identity.DedupeKey), so the file alone does not tell which
// message it was; the hour, not the second, so that no mark can be matched
// against a provider's log by its time (docs/PRIVACY.md).
const deliveryHour = time.Hour

func deliveryHourOf(now time.Time) (uint32, error) {
	if now.Unix() < 0 {
		return 0, fmt.Errorf("time %v before 1970", now)
	}
	return uint32(now.Unix() / int64(deliveryHour/time.Second)), nil
}

// deliveryLive reports whether a mark stored at hour h still counts at
// now. Since a mark only knows its hour, it is kept one hour longer than
// the window: at least DeliveryWindow, at most an hour more.
func deliveryLive(h uint32, now time.Time) bool {
	until := time.Unix(int64(h)*int64(deliveryHour/time.Second), 0).Add(DeliveryWindow + deliveryHour)
	return now.Before(until)
}

func decodeDeliveryHour(v []byte) (uint32, error) {
	if len(v) != 4 {
		return 0, fmt.Errorf("malformed delivery mark %x", v)
	}
	return binary.BigEndian.Uint32(v), nil
}

// FirstDelivery records digest as delivered at now and reports whether it
// is new: false when the same digest was recorded within DeliveryWindow.
// Concurrent calls with one digest: exactly one gets true.
//
// The mark is not written at once: a webhook that acts writes to the file
// anyway, and an fsync of its own for the mark halved the bookings a
// single connection could make. Instead every write transaction of the
// store first writes the marks recorded before it, so whatever a delivery
// changed in the file is durable only together with its mark: a crash
// cannot keep the effect and lose the mark. A delivery that changes
// nothing in the file has its mark written within markFlush, and Close
// writes what is left.
func (s *Store) FirstDelivery(digest [32]byte, now time.Time) (bool, error) {
	h, err := deliveryHourOf(now)
	if err != nil {
		return false, fmt.Errorf("record delivery: %w", err)
	}
	m := &s.marks
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.pending[digest]; ok && deliveryLive(old, now) {
		return false, nil
	}
	seen := false
	err = s.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketDeliveries).Get(digest[:]); v != nil {
			old, err := decodeDeliveryHour(v)
			seen = err == nil && deliveryLive(old, now)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("record delivery: %w", err)
	}
	if seen {
		return false, nil
	}
	if m.pending == nil {
		m.pending = map[[32]byte]uint32{}
	}
	m.pending[digest] = h
	if m.timer == nil {
		m.timer = time.AfterFunc(markFlush, s.flushMarks)
	}
	return true, nil
}

// markFlush bounds how long a mark waits for a write transaction to carry
// it into the file.
const markFlush = 200 * time.Millisecond

// marks are the delivery marks recorded but not yet in the file.
type marks struct {
	mu      sync.Mutex
	pending map[[32]byte]uint32 // digest -> hour
	timer   *time.Timer         // a flush is scheduled
}

type pendingMark struct {
	digest [32]byte
	hour   uint32
}

// write puts every pending mark into tx and returns them; they stay
// pending until written is told the transaction committed.
func (m *marks) write(tx *bolt.Tx) ([]pendingMark, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.pending) == 0 {
		return nil, nil
	}
	b := tx.Bucket(bucketDeliveries)
	out := make([]pendingMark, 0, len(m.pending))
	for d, h := range m.pending {
		if err := b.Put(d[:], binary.BigEndian.AppendUint32(nil, h)); err != nil {
			return nil, err
		}
		out = append(out, pendingMark{d, h})
	}
	return out, nil
}

// written drops marks that a committed transaction carried into the file.
func (m *marks) written(ws []pendingMark) {
	if len(ws) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, w := range ws {
		if h, ok := m.pending[w.digest]; ok && h == w.hour {
			delete(m.pending, w.digest)
		}
	}
}

// flushMarks writes the pending marks in a transaction of their own.
func (s *Store) flushMarks() {
	s.marks.mu.Lock()
	s.marks.timer = nil
	n := len(s.marks.pending)
	s.marks.mu.Unlock()
	if n > 0 {
		// An error leaves them pending for the next write; Close retries.
		_ = s.update(func(*bolt.Tx) error { return nil })
	}
}

// ForgetDelivery drops digest's mark, so that a delivery that failed can be
// processed when the provider retries it. Forgetting an unknown digest is
// not an error.
func (s *Store) ForgetDelivery(digest [32]byte) error {
	s.marks.mu.Lock()
	delete(s.marks.pending, digest)
	s.marks.mu.Unlock()
	err := s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDeliveries).Delete(digest[:])
	})
	if err != nil {
		return fmt.Errorf("forget delivery: %w", err)
	}
	return nil
}

// PurgeDeliveries drops the marks older than DeliveryWindow (and any
// malformed one) and returns how many it dropped. The periodic sweep calls
// it; close-day's compaction then takes their bytes off the disk.
func (s *Store) PurgeDeliveries(now time.Time) (int, error) {
	n := 0
	err := s.update(func(tx *bolt.Tx) error {
		n = 0
		b := tx.Bucket(bucketDeliveries)
		var stale [][]byte
		err := b.ForEach(func(k, v []byte) error {
			h, err := decodeDeliveryHour(v)
			if err != nil || len(k) != 32 || !deliveryLive(h, now) {
				stale = append(stale, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(stale)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("purge deliveries: %w", err)
	}
	return n, nil
}

// Deliveries returns how many delivery marks the file holds (bot inspect,
// metrics).
func (s *Store) Deliveries() (int, error) {
	s.flushMarks()
	n := 0
	err := s.view(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketDeliveries).Stats().KeyN
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count deliveries: %w", err)
	}
	return n, nil
}
