package storage

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cita-city/cita/scheduling"
)

// maxViolations caps the violations Check lists.
const maxViolations = 20

// Check verifies the file (bolt's page checks) and the invariants the
// operations keep:
//
//   - the schema version is the current one and no unknown bucket exists;
//   - every record decodes and has its schedule entry;
//   - every active record has its identity entry, every cancelled record a
//     zero identity, and no identity has two active appointments;
//   - every schedule and identity entry points to a record that matches it;
//   - the seat counts equal the people (party sizes) of the non-cancelled
//     records per slot, with no zero, missing or stale count;
//   - every record is of the current version;
//   - every delivery mark is a 32-byte digest with a 4-byte hour.
//
// The error wraps ErrCorrupt and lists the violations found.
func (s *Store) Check() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return ErrClosed
	}
	// A write transaction, rolled back: bolt's check is only safe against
	// concurrent writers in one, and the invariants need a still picture.
	tx, err := s.db.Begin(true)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	defer tx.Rollback()

	var bad []error
	report := func(format string, args ...any) {
		bad = append(bad, fmt.Errorf(format, args...))
	}
	for err := range tx.Check() {
		report("bolt: %v", err)
	}
	checkInvariants(tx, report)
	if len(bad) == 0 {
		return nil
	}
	if len(bad) > maxViolations {
		bad = append(bad[:maxViolations], fmt.Errorf("and %d more", len(bad)-maxViolations))
	}
	return fmt.Errorf("check %s: %w:\n%w", s.path, ErrCorrupt, errors.Join(bad...))
}

func checkInvariants(tx *bolt.Tx, report func(string, ...any)) {
	known := map[string]bool{}
	for _, name := range allBuckets {
		known[string(name)] = true
		if tx.Bucket(name) == nil {
			report("bucket %q missing", name)
			return
		}
	}
	tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		if !known[string(name)] {
			report("unknown bucket %q", name)
		}
		return nil
	})
	if v, err := readSchema(tx); err != nil || v != schemaVersion {
		report("schema version %d (%v), want %d", v, err, schemaVersion)
	}

	appts, ids := tx.Bucket(bucketAppointments), tx.Bucket(bucketIdentities)
	sched, seats := tx.Bucket(bucketSchedule), tx.Bucket(bucketSeats)
	wantSeats := map[string]uint32{}
	active := map[scheduling.Identity]int{}
	records := map[string]scheduling.Appointment{}
	appts.ForEach(func(k, v []byte) error {
		a, err := decodeRecord(k, v, time.UTC)
		if err != nil {
			report("%v", err)
			return nil
		}
		records[a.Code] = a
		if v[0] != recordV2 {
			report("record %x is of version %d, want %d", k, v[0], recordV2)
		}
		seat := slotKey(a.Office, a.Start.Unix())
		if sched.Get(scheduleKey(a.Office, a.Start.Unix(), a.Code)) == nil {
			report("record %x at %s %d has no schedule entry", k, a.Office, a.Start.Unix())
		}
		if a.Status != scheduling.StatusCancelled {
			wantSeats[string(seat)] += uint32(a.People())
		}
		switch {
		case a.Status.Active():
			active[a.Identity]++
			if a.Identity.IsZero() {
				report("active record %x has no identity", k)
			} else if !bytes.Equal(ids.Get(identityKey(a.Identity)), k) {
				report("active record %x has no identity entry", k)
			}
		case a.Status == scheduling.StatusCancelled && !a.Identity.IsZero():
			report("cancelled record %x keeps its identity", k)
		}
		return nil
	})
	for id, n := range active {
		if n > 1 && !id.IsZero() {
			report("identity epoch %d %x has %d active appointments", id.Epoch, id.Hash, n)
		}
	}
	sched.ForEach(func(k, v []byte) error {
		office, start, code, err := splitSlotKey(k)
		a, ok := records[string(code)]
		switch {
		case err != nil:
			report("schedule: %v", err)
		case len(v) != 0:
			report("schedule entry %x has a value", k)
		case !ok:
			report("schedule entry %x: no record", k)
		case a.Office != office || a.Start.Unix() != start:
			report("schedule entry %x: record is at %s %d", k, a.Office, a.Start.Unix())
		}
		return nil
	})
	ids.ForEach(func(k, v []byte) error {
		id, err := splitIdentityKey(k)
		a, ok := records[string(v)]
		switch {
		case err != nil:
			report("identities: %v", err)
		case !ok:
			report("identity entry %x: no record", k)
		case !a.Status.Active() || a.Identity != id:
			report("identity entry %x: record %x is %v with identity epoch %d %x", k, v, a.Status, a.Identity.Epoch, a.Identity.Hash)
		}
		return nil
	})
	seats.ForEach(func(k, v []byte) error {
		n, err := decodeCount(v)
		want, ok := wantSeats[string(k)]
		delete(wantSeats, string(k))
		switch {
		case err != nil:
			report("seats: %v", err)
		case n == 0:
			report("seat count %x is zero", k)
		case !ok:
			report("seat count %x is %d, slot has no seated record", k, n)
		case n != want:
			report("seat count %x is %d, records' parties add up to %d", k, n, want)
		}
		return nil
	})
	for k, n := range wantSeats {
		report("slot %x has %d seated records and no seat count", k, n)
	}
	tx.Bucket(bucketDeliveries).ForEach(func(k, v []byte) error {
		if _, err := decodeDeliveryHour(v); err != nil || len(k) != 32 {
			report("delivery mark %x -> %x: want a 32-byte digest and a 4-byte hour", k, v)
		}
		return nil
	})
}
