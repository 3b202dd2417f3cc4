package storage

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Active reports which of codes are the codes of active appointments
// (booked or checked in), in one read transaction. A code with no record,
// or whose appointment was cancelled or its day closed, is absent from the
// result. The reminder reconciliation asks this of every code it finds in
// a reminder waiting at Twilio; it reads nothing about the resident.
func (s *Store) Active(codes []string) (map[string]bool, error) {
	active := make(map[string]bool, len(codes))
	err := s.view(func(tx *bolt.Tx) error {
		appts := tx.Bucket(bucketAppointments)
		for _, code := range codes {
			if active[code] || appts.Get([]byte(code)) == nil {
				continue
			}
			a, err := s.get(appts, code)
			if err != nil {
				return err
			}
			if a.Status.Active() {
				active[code] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("active codes: %w", err)
	}
	return active, nil
}
