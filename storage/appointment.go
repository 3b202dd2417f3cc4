package storage

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cita-city/cita/scheduling"
)

// Errors never name the confirmation code or identity (promise P3): they
// end up in logs.

// Insert stores a as a booked appointment (a.Status must be zero or
// StatusBooked; a.Party zero means one person) if a.Identity holds no
// active appointment (scheduling.ErrAlreadyBooked), the slot has a.Party
// of its capacity seats free (scheduling.ErrSlotFull, see Taken), and
// a.Code is unused (scheduling.ErrCodeTaken), in that order, all in one
// transaction.
func (s *Store) Insert(a scheduling.Appointment, capacity int) error {
	if a.Status == 0 {
		a.Status = scheduling.StatusBooked
	}
	a.Party = a.People()
	if a.Status != scheduling.StatusBooked {
		return fmt.Errorf("insert appointment: status %v, want booked", a.Status)
	}
	if a.Identity.IsZero() {
		return errors.New("insert appointment: no identity")
	}
	if err := checkText("confirmation code", a.Code, maxCode); err != nil {
		return fmt.Errorf("insert appointment: %w", err)
	}
	rec, err := encodeRecord(a)
	if err != nil {
		return fmt.Errorf("insert appointment: %w", err)
	}
	code, idKey, seat := []byte(a.Code), identityKey(a.Identity), slotKey(a.Office, a.Start.Unix())
	sched := append(bytes.Clone(seat), code...)

	// An outcome is not an error to bolt: a group commit (or Batch) would
	// roll back every booking grouped with this one and run them again. The
	// checks come before any write, so returning nil after a failed check
	// writes nothing.
	var outcome error
	tx := func(tx *bolt.Tx) error {
		outcome = nil
		appts, ids, seats := tx.Bucket(bucketAppointments), tx.Bucket(bucketIdentities), tx.Bucket(bucketSeats)
		if ids.Get(idKey) != nil {
			outcome = scheduling.ErrAlreadyBooked
			return nil
		}
		n, err := seatCount(seats, seat)
		if err != nil {
			return err
		}
		if !room(n, a.Party, capacity) {
			outcome = scheduling.ErrSlotFull
			return nil
		}
		if appts.Get(code) != nil {
			outcome = scheduling.ErrCodeTaken
			return nil
		}
		if err := appts.Put(code, rec); err != nil {
			return err
		}
		if err := ids.Put(idKey, code); err != nil {
			return err
		}
		if err := tx.Bucket(bucketSchedule).Put(sched, nil); err != nil {
			return err
		}
		return seats.Put(seat, encodeCount(n+uint32(a.Party)))
	}
	// Alone in its transaction, an outcome may roll back: no commit, no
	// fsync for a booking that did not happen.
	solo := func(btx *bolt.Tx) error {
		if err := tx(btx); err != nil {
			return err
		}
		return outcome
	}
	switch s.commit {
	case commitGroup:
		err = s.grouped(tx, solo)
	case commitUpdate:
		err = s.update(solo)
	default: // commitBatch, commitAdaptive: kept to compare in benchmarks
		if n := s.inflight.Add(1); s.commit == commitBatch || n > 1 {
			err = s.batchUpdate(tx)
		} else {
			err = s.update(solo)
		}
		s.inflight.Add(-1)
	}
	if err == nil {
		err = outcome
	}
	if err != nil {
		return fmt.Errorf("insert appointment at %s %d: %w", a.Office, a.Start.Unix(), err)
	}
	return nil
}

// Move moves the active appointment with code to office/start as a party
// of party people (0: the size it has) if that slot has room for them
// besides the seats the appointment holds there already
// (scheduling.ErrSlotFull); moving to the slot and size it already has
// succeeds without a capacity check.
func (s *Store) Move(code, office string, start time.Time, party, capacity int) (scheduling.Appointment, error) {
	var moved scheduling.Appointment
	unix, err := unixStart(start)
	if err == nil {
		err = checkText("office id", office, maxOffice)
	}
	if err != nil {
		return moved, fmt.Errorf("move appointment: %w", err)
	}
	err = s.update(func(tx *bolt.Tx) error {
		appts, seats, sched := tx.Bucket(bucketAppointments), tx.Bucket(bucketSeats), tx.Bucket(bucketSchedule)
		a, err := s.get(appts, code)
		if err != nil {
			return err
		}
		if !a.Status.Active() {
			return scheduling.ErrNotFound
		}
		if party == 0 {
			party = a.People()
		}
		same := a.Office == office && a.Start.Unix() == unix
		if same && a.People() == party {
			moved = a
			return nil
		}
		from, to := slotKey(a.Office, a.Start.Unix()), slotKey(office, unix)
		if err := addSeats(seats, from, -a.People()); err != nil {
			return err
		}
		n, err := seatCount(seats, to)
		if err != nil {
			return err
		}
		if !room(n, party, capacity) {
			return scheduling.ErrSlotFull // rolls the transaction back, seats and all
		}
		if err := seats.Put(to, encodeCount(n+uint32(party))); err != nil {
			return err
		}
		a.Party, a.Arrived = party, min(a.Arrived, party)
		if same {
			moved = a
			return s.put(appts, a)
		}
		if err := sched.Delete(scheduleKey(a.Office, a.Start.Unix(), code)); err != nil {
			return err
		}
		if err := sched.Put(scheduleKey(office, unix, code), nil); err != nil {
			return err
		}
		a.Office, a.Start = office, time.Unix(unix, 0).In(s.loc)
		moved = a
		return s.put(appts, a)
	})
	if err != nil {
		return scheduling.Appointment{}, fmt.Errorf("move appointment to %s %d: %w", office, unix, err)
	}
	return moved, nil
}

// SetStatus changes the status of the appointment with code:
//
//   - booked <-> checked-in: nothing else changes;
//   - booked or checked-in -> no-show: the identity may book again (its
//     index entry goes); the seat stays taken, the slot is past anyway;
//   - any -> cancelled: the seat is released and the identity forgotten
//     (zeroed in the record, index entry removed);
//   - no-show -> booked or checked-in (a clerk undoing a no-show): only if
//     the identity holds no other active appointment meanwhile, else
//     scheduling.ErrAlreadyBooked; the seat was never released;
//   - out of cancelled: ErrStatusChange, since the seat and the identity
//     are gone and that would need the booking checks again.
//
// Setting the status it already has changes nothing.
func (s *Store) SetStatus(code string, st scheduling.Status) (scheduling.Appointment, error) {
	var out scheduling.Appointment
	if !validStatus(st) {
		return out, fmt.Errorf("set status %v: unknown status", st)
	}
	err := s.update(func(tx *bolt.Tx) error {
		appts := tx.Bucket(bucketAppointments)
		a, err := s.get(appts, code)
		if err != nil {
			return err
		}
		out = a
		switch {
		case a.Status == st:
			return nil
		case a.Status == scheduling.StatusCancelled:
			return fmt.Errorf("%v to %v: %w", a.Status, st, ErrStatusChange)
		case a.Status == scheduling.StatusNoShow && st.Active():
			ids := tx.Bucket(bucketIdentities)
			k := identityKey(a.Identity)
			if a.Identity.IsZero() || ids.Get(k) != nil {
				return scheduling.ErrAlreadyBooked
			}
			if err := ids.Put(k, []byte(a.Code)); err != nil {
				return err
			}
		}
		if !st.Active() {
			if err := dropIdentity(tx.Bucket(bucketIdentities), a); err != nil {
				return err
			}
		}
		if st == scheduling.StatusCancelled {
			if err := addSeats(tx.Bucket(bucketSeats), slotKey(a.Office, a.Start.Unix()), -a.People()); err != nil {
				return err
			}
			a.Identity = scheduling.Identity{}
		}
		a.Arrived = 0
		if st == scheduling.StatusCheckedIn {
			a.Arrived = a.People() // the whole party; CheckIn records fewer
		}
		a.Status = st
		out = a
		return s.put(appts, a)
	})
	if err != nil {
		return scheduling.Appointment{}, fmt.Errorf("set status %v: %w", st, err)
	}
	return out, nil
}

// CheckIn checks in the appointment with code with arrived of its party
// (1..party; ErrStatusChange otherwise) and returns it. It may be called
// again to correct the count; from no-show it follows SetStatus's rule.
// The people who did not come count as no-shows when the day closes.
func (s *Store) CheckIn(code string, arrived int) (scheduling.Appointment, error) {
	var out scheduling.Appointment
	err := s.update(func(tx *bolt.Tx) error {
		appts := tx.Bucket(bucketAppointments)
		a, err := s.get(appts, code)
		if err != nil {
			return err
		}
		if arrived < 1 || arrived > a.People() {
			return fmt.Errorf("%d of a party of %d: %w", arrived, a.People(), ErrStatusChange)
		}
		switch a.Status {
		case scheduling.StatusCancelled:
			return fmt.Errorf("%v to %v: %w", a.Status, scheduling.StatusCheckedIn, ErrStatusChange)
		case scheduling.StatusNoShow:
			ids := tx.Bucket(bucketIdentities)
			k := identityKey(a.Identity)
			if a.Identity.IsZero() || ids.Get(k) != nil {
				return scheduling.ErrAlreadyBooked
			}
			if err := ids.Put(k, []byte(a.Code)); err != nil {
				return err
			}
		}
		a.Status, a.Arrived = scheduling.StatusCheckedIn, arrived
		out = a
		return s.put(appts, a)
	})
	if err != nil {
		return scheduling.Appointment{}, fmt.Errorf("check in: %w", err)
	}
	return out, nil
}

// Delete removes the appointment with code, its index entries, and its
// seat if it held one.
func (s *Store) Delete(code string) error {
	err := s.update(func(tx *bolt.Tx) error {
		appts := tx.Bucket(bucketAppointments)
		a, err := s.get(appts, code)
		if err != nil {
			return err
		}
		seat := slotKey(a.Office, a.Start.Unix())
		if a.Status != scheduling.StatusCancelled {
			if err := addSeats(tx.Bucket(bucketSeats), seat, -a.People()); err != nil {
				return err
			}
		}
		if err := dropIdentity(tx.Bucket(bucketIdentities), a); err != nil {
			return err
		}
		if err := tx.Bucket(bucketSchedule).Delete(append(seat, code...)); err != nil {
			return err
		}
		return appts.Delete([]byte(code))
	})
	if err != nil {
		return fmt.Errorf("delete appointment: %w", err)
	}
	return nil
}

// Find returns the active appointment of the first of ids that has one, or
// scheduling.ErrNotFound.
func (s *Store) Find(ids ...scheduling.Identity) (scheduling.Appointment, error) {
	var found scheduling.Appointment
	err := s.view(func(tx *bolt.Tx) error {
		idx, appts := tx.Bucket(bucketIdentities), tx.Bucket(bucketAppointments)
		for _, id := range ids {
			if id.IsZero() {
				continue
			}
			code := idx.Get(identityKey(id))
			if code == nil {
				continue
			}
			a, err := s.get(appts, string(code))
			if errors.Is(err, scheduling.ErrNotFound) || err == nil && (!a.Status.Active() || a.Identity != id) {
				return fmt.Errorf("identity index points to a missing or other record: %w", ErrCorrupt)
			}
			found = a
			return err
		}
		return scheduling.ErrNotFound
	})
	if err != nil {
		return scheduling.Appointment{}, fmt.Errorf("find appointment: %w", err)
	}
	return found, nil
}

// ByCode returns the appointment with code, whatever its status, or
// scheduling.ErrNotFound.
func (s *Store) ByCode(code string) (scheduling.Appointment, error) {
	var a scheduling.Appointment
	err := s.view(func(tx *bolt.Tx) (err error) {
		a, err = s.get(tx.Bucket(bucketAppointments), code)
		return err
	})
	if err != nil {
		return scheduling.Appointment{}, fmt.Errorf("appointment by code: %w", err)
	}
	return a, nil
}

// Taken returns, for office, the number of seats taken per slot start
// (Unix seconds) for slots starting in [from, to); slots with none taken
// are absent. A seat is taken by every appointment that is not cancelled
// (booked, checked-in, no-show): the same count Insert and Move compare
// with capacity.
func (s *Store) Taken(office string, from, to time.Time) (map[int64]int, error) {
	taken := map[int64]int{}
	err := s.view(func(tx *bolt.Tx) error {
		return scanSlots(tx.Bucket(bucketSeats).Cursor(), office, from, to, func(start int64, _, _, v []byte) error {
			n, err := decodeCount(v)
			if err != nil {
				return fmt.Errorf("%v: %w", err, ErrCorrupt)
			}
			taken[start] = int(n)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("seats taken at %s: %w", office, err)
	}
	return taken, nil
}

// Between returns the appointments (every status) starting in [from, to)
// at office, or at every office when office is "", ordered by start, then
// office, then code. Times are in Options.Location.
func (s *Store) Between(office string, from, to time.Time) ([]scheduling.Appointment, error) {
	var list []scheduling.Appointment
	err := s.view(func(tx *bolt.Tx) error {
		appts := tx.Bucket(bucketAppointments)
		c := tx.Bucket(bucketSchedule).Cursor()
		add := func(start int64, k, code, _ []byte) error {
			a, err := s.get(appts, string(code))
			if errors.Is(err, scheduling.ErrNotFound) || err == nil && !bytes.Equal(k, scheduleKey(a.Office, a.Start.Unix(), a.Code)) {
				return fmt.Errorf("schedule entry %s %d points to a missing or other record: %w", office, start, ErrCorrupt)
			}
			list = append(list, a)
			return err
		}
		offices := []string{office}
		if office == "" {
			var err error
			if offices, err = scheduleOffices(tx.Bucket(bucketSchedule)); err != nil {
				return err
			}
		}
		for _, office = range offices { // add's error names it
			if err := scanSlots(c, office, from, to, add); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("appointments between %d and %d: %w", from.Unix(), to.Unix(), err)
	}
	slices.SortStableFunc(list, func(a, b scheduling.Appointment) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Office, b.Office), cmp.Compare(a.Code, b.Code))
	})
	return list, nil
}

// All calls fn with every appointment, in code order, inside one read
// transaction: fn must not call the Store's write methods. An error from fn
// stops the walk and is returned.
func (s *Store) All(fn func(scheduling.Appointment) error) error {
	return s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAppointments).ForEach(func(k, v []byte) error {
			a, err := decodeRecord(k, v, s.loc)
			if err != nil {
				return err
			}
			return fn(a)
		})
	})
}

// scanSlots calls fn with the start, key, rest of key (the code, in the
// schedule) and value of every key of office whose start is in [from, to).
func scanSlots(c *bolt.Cursor, office string, from, to time.Time, fn func(start int64, k, rest, v []byte) error) error {
	if office == "" {
		return errors.New("no office")
	}
	lo, hi := slotKey(office, bound(from)), slotKey(office, bound(to))
	for k, v := c.Seek(lo); k != nil && bytes.Compare(k, hi) < 0; k, v = c.Next() {
		_, start, rest, err := splitSlotKey(k)
		if err != nil {
			return fmt.Errorf("%v: %w", err, ErrCorrupt)
		}
		if err := fn(start, k, rest, v); err != nil {
			return err
		}
	}
	return nil
}

// bound returns the first whole Unix second at or after t, at least 0.
func bound(t time.Time) int64 {
	u := t.Unix()
	if t.Nanosecond() > 0 {
		u++
	}
	return max(u, 0)
}

// get decodes the record with code, or returns scheduling.ErrNotFound.
func (s *Store) get(appts *bolt.Bucket, code string) (scheduling.Appointment, error) {
	v := appts.Get([]byte(code))
	if v == nil {
		return scheduling.Appointment{}, scheduling.ErrNotFound
	}
	return decodeRecord([]byte(code), v, s.loc)
}

func (s *Store) put(appts *bolt.Bucket, a scheduling.Appointment) error {
	rec, err := encodeRecord(a)
	if err != nil {
		return err
	}
	return appts.Put([]byte(a.Code), rec)
}

// dropIdentity removes a's identity index entry if it points to a.
func dropIdentity(ids *bolt.Bucket, a scheduling.Appointment) error {
	if a.Identity.IsZero() {
		return nil
	}
	k := identityKey(a.Identity)
	if string(ids.Get(k)) != a.Code {
		return nil
	}
	return ids.Delete(k)
}

func seatCount(seats *bolt.Bucket, k []byte) (uint32, error) {
	v := seats.Get(k)
	if v == nil {
		return 0, nil
	}
	n, err := decodeCount(v)
	if err != nil {
		return 0, fmt.Errorf("%v: %w", err, ErrCorrupt)
	}
	return n, nil
}

// room reports whether a slot with taken seats of capacity has party more.
func room(taken uint32, party, capacity int) bool {
	return capacity > 0 && party > 0 && int64(taken)+int64(party) <= int64(capacity)
}

// addSeats adds delta to the seat count of a slot, deleting the key at 0
// so no zero counters linger.
func addSeats(seats *bolt.Bucket, k []byte, delta int) error {
	n, err := seatCount(seats, k)
	if err != nil {
		return err
	}
	m := int64(n) + int64(delta)
	switch {
	case m < 0:
		return fmt.Errorf("seat count of a slot below zero: %w", ErrCorrupt)
	case m == 0:
		return seats.Delete(k)
	}
	return seats.Put(k, encodeCount(uint32(m)))
}
