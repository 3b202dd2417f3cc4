package storage

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/cita-city/cita/scheduling"
)

// TestCheckDetects breaks each invariant behind the Store's back and
// expects Check to say so: an invariant check that cannot fail proves
// nothing.
func TestCheckDetects(t *testing.T) {
	a := appt(1, "AAAA", "north", slot(9, 0))
	seat := slotKey("north", slot(9, 0).Unix())
	checkTests := []struct {
		name   string
		break_ func(tx *bolt.Tx) error
		want   string // in the error
	}{
		{"stale seat count", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketSeats).Put(slotKey("north", slot(10, 0).Unix()), encodeCount(1))
		}, "no seated record"},
		{"zero seat count", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketSeats).Put(slotKey("north", slot(10, 0).Unix()), encodeCount(0))
		}, "is zero"},
		{"wrong seat count", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketSeats).Put(seat, encodeCount(2))
		}, "parties add up to 1"},
		{"missing seat count", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketSeats).Delete(seat)
		}, "no seat count"},
		{"missing identity entry", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketIdentities).Delete(identityKey(a.Identity))
		}, "no identity entry"},
		{"identity entry to nowhere", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketIdentities).Put(identityKey(ident(2)), []byte("ZZZZ"))
		}, "no record"},
		{"missing schedule entry", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketSchedule).Delete(scheduleKey("north", slot(9, 0).Unix(), "AAAA"))
		}, "no schedule entry"},
		{"schedule entry at the wrong time", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketSchedule).Put(scheduleKey("north", slot(11, 0).Unix(), "AAAA"), nil)
		}, "record is at"},
		{"two active appointments for one identity", func(tx *bolt.Tx) error {
			b := appt(1, "BBBB", "south", slot(9, 0))
			rec, _ := encodeRecord(b)
			tx.Bucket(bucketSchedule).Put(scheduleKey("south", slot(9, 0).Unix(), "BBBB"), nil)
			tx.Bucket(bucketSeats).Put(slotKey("south", slot(9, 0).Unix()), encodeCount(1))
			return tx.Bucket(bucketAppointments).Put([]byte("BBBB"), rec)
		}, "2 active appointments"},
		{"cancelled record keeps its hash", func(tx *bolt.Tx) error {
			c := a
			c.Status = scheduling.StatusCancelled
			rec, _ := encodeRecord(c)
			tx.Bucket(bucketSeats).Delete(seat)
			tx.Bucket(bucketIdentities).Delete(identityKey(a.Identity))
			return tx.Bucket(bucketAppointments).Put([]byte("AAAA"), rec)
		}, "keeps its identity"},
		{"undecodable record", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketAppointments).Put([]byte("AAAA"), []byte{recordV2, 9, 9})
		}, "too short"},
		{"record of an unknown version", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketAppointments).Put([]byte("AAAA"), []byte{9, 9, 9})
		}, "unknown record version 9"},
		{"unknown bucket", func(tx *bolt.Tx) error {
			_, err := tx.CreateBucket([]byte("phones"))
			return err
		}, `unknown bucket "phones"`},
	}
	for _, tt := range checkTests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(filepath.Join(t.TempDir(), "cita.db"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			mustInsert(t, s, a, 2)
			if err := s.Check(); err != nil {
				t.Fatalf("before breaking: %v", err)
			}
			if err := s.db.Update(tt.break_); err != nil {
				t.Fatal(err)
			}
			err = s.Check()
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Check = %v\nwant ErrCorrupt mentioning %q", err, tt.want)
			}
		})
	}
}
