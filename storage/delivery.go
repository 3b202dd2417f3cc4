package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
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
// It commits (fsync) before it returns, so the mark survives a crash right
// after the caller acts on the delivery. Concurrent calls with one digest:
// exactly one gets true.
func (s *Store) FirstDelivery(digest [32]byte, now time.Time) (bool, error) {
	h, err := deliveryHourOf(now)
	if err != nil {
		return false, fmt.Errorf("record delivery: %w", err)
	}
	var fresh bool
	// Like Insert's, fn returns nil whatever the outcome and may run more
	// than once (group commit): it sets fresh from scratch each time.
	fn := func(tx *bolt.Tx) error {
		fresh = false
		b := tx.Bucket(bucketDeliveries)
		if v := b.Get(digest[:]); v != nil {
			if old, err := decodeDeliveryHour(v); err == nil && deliveryLive(old, now) {
				return nil
			}
		}
		fresh = true
		return b.Put(digest[:], binary.BigEndian.AppendUint32(nil, h))
	}
	if err := s.grouped(fn, fn); err != nil {
		return false, fmt.Errorf("record delivery: %w", err)
	}
	return fresh, nil
}

// ForgetDelivery drops digest's mark, so that a delivery that failed can be
// processed when the provider retries it. Forgetting an unknown digest is
// not an error.
func (s *Store) ForgetDelivery(digest [32]byte) error {
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
