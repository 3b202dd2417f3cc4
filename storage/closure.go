package storage

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/cita-city/cita/scheduling"
)

func closureKey(office string, day scheduling.Date) ([]byte, error) {
	if err := checkText("office id", office, maxOffice); err != nil {
		return nil, err
	}
	return dayKey(office, day)
}

// CloseOffice records that office is closed on day. Closing a closed day
// changes nothing. It does not touch the day's appointments: the caller
// cancels them.
func (s *Store) CloseOffice(office string, day scheduling.Date) error {
	k, err := closureKey(office, day)
	if err != nil {
		return fmt.Errorf("close office: %w", err)
	}
	if err := s.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketClosures).Put(k, nil) }); err != nil {
		return fmt.Errorf("close office %s on %v: %w", office, day, err)
	}
	return nil
}

// ReopenOffice removes a closure made with CloseOffice. Cancelled
// appointments stay cancelled.
func (s *Store) ReopenOffice(office string, day scheduling.Date) error {
	k, err := closureKey(office, day)
	if err != nil {
		return fmt.Errorf("reopen office: %w", err)
	}
	if err := s.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketClosures).Delete(k) }); err != nil {
		return fmt.Errorf("reopen office %s on %v: %w", office, day, err)
	}
	return nil
}

// Closed reports whether office was closed on day with CloseOffice.
func (s *Store) Closed(office string, day scheduling.Date) (bool, error) {
	k, err := closureKey(office, day)
	if err != nil {
		return false, fmt.Errorf("closed: %w", err)
	}
	var closed bool
	err = s.view(func(tx *bolt.Tx) error {
		closed = tx.Bucket(bucketClosures).Get(k) != nil
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("closed %s on %v: %w", office, day, err)
	}
	return closed, nil
}

// ClosedDays returns the days in [from, to) on which office was closed with
// CloseOffice, in order.
func (s *Store) ClosedDays(office string, from, to scheduling.Date) ([]scheduling.Date, error) {
	lo, err := closureKey(office, from)
	if err != nil {
		return nil, fmt.Errorf("closed days: %w", err)
	}
	hi, err := closureKey(office, to)
	if err != nil {
		return nil, fmt.Errorf("closed days: %w", err)
	}
	var days []scheduling.Date
	err = s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketClosures).Cursor()
		for k, _ := c.Seek(lo); k != nil && bytes.Compare(k, hi) < 0; k, _ = c.Next() {
			_, day, ok := splitDayKey(k)
			if !ok || len(k) != len(lo) {
				return fmt.Errorf("malformed closure key %x: %w", k, ErrCorrupt)
			}
			days = append(days, day)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("closed days of %s: %w", office, err)
	}
	return days, nil
}
