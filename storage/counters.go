package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cita-city/cita/scheduling"
)

// DayCount is what stays of one office's day once it is closed: anonymous
// counts, with no identity, code or time (promise P4). Every count is of
// people, not bookings: a family of three is 3 (schema 3; before it every
// booking was one person, so older counters mean the same).
type DayCount struct {
	Office string
	Day    scheduling.Date
	// Booked counts the people of every appointment the day still held
	// when it closed, whatever became of them; the three below split it by
	// outcome (a party checked in with some missing adds to CheckedIn and
	// NoShow). An appointment deleted earlier by "delete my data" is not
	// counted.
	Booked, CheckedIn, NoShow, Cancelled int
	// WalkIns counts the people of the walk-ins clerks booked for the day
	// (CountWalkIn), whatever became of them; they are among Booked once
	// the day closes.
	WalkIns int
	ByLang  map[string]int // language -> people
}

// count adds appointment a to d.
func (d *DayCount) count(a scheduling.Appointment) {
	n := a.People()
	d.Booked += n
	d.ByLang[a.Lang] += n
	switch a.Status {
	case scheduling.StatusCheckedIn:
		came := min(max(a.Arrived, 1), n)
		d.CheckedIn += came
		d.NoShow += n - came
	case scheduling.StatusNoShow:
		d.NoShow += n
	case scheduling.StatusCancelled:
		d.Cancelled += n
	}
}

// add adds e's counts to d.
func (d *DayCount) add(e DayCount) {
	d.Booked += e.Booked
	d.CheckedIn += e.CheckedIn
	d.NoShow += e.NoShow
	d.Cancelled += e.Cancelled
	d.WalkIns += e.WalkIns
	for l, n := range e.ByLang {
		d.ByLang[l] += n
	}
}

// CloseReport says what CloseDay did.
type CloseReport struct {
	Day     scheduling.Date
	NoShows int        // booked appointments marked no-show (bookings, not people)
	Deleted int        // appointments deleted
	Counts  []DayCount // what was added to the counters, by office
}

// A counter value, version 1:
//
//	0      version (1)
//	1..16  booked, checked-in, no-show, cancelled: uint32 BE each
//	17     number of languages, then per language: length, language,
//	       uint32 BE count, in language order
//
// Version 2 adds walk-ins (uint32 BE) after cancelled, so its languages
// start at 21. Version 1 values are still read; every write is version 2.
const (
	counterV1 = 1
	counterV2 = 2
)

func encodeCounter(c DayCount) []byte {
	b := []byte{counterV2}
	for _, n := range []int{c.Booked, c.CheckedIn, c.NoShow, c.Cancelled, c.WalkIns} {
		b = binary.BigEndian.AppendUint32(b, uint32(n))
	}
	langs := slices.Sorted(maps.Keys(c.ByLang))
	b = append(b, byte(len(langs)))
	for _, l := range langs {
		b = append(b, byte(len(l)))
		b = append(b, l...)
		b = binary.BigEndian.AppendUint32(b, uint32(c.ByLang[l]))
	}
	return b
}

func decodeCounter(k, v []byte) (DayCount, error) {
	var c DayCount
	bad := fmt.Errorf("counter %x: malformed: %w", k, ErrCorrupt)
	office, day, ok := splitDayKey(k)
	if !ok || len(v) < 18 || (v[0] != counterV1 && v[0] != counterV2) || (v[0] == counterV2 && len(v) < 22) {
		return c, bad
	}
	c.Office, c.Day = office, day
	c.Booked = int(binary.BigEndian.Uint32(v[1:]))
	c.CheckedIn = int(binary.BigEndian.Uint32(v[5:]))
	c.NoShow = int(binary.BigEndian.Uint32(v[9:]))
	c.Cancelled = int(binary.BigEndian.Uint32(v[13:]))
	langs := 17
	if v[0] == counterV2 {
		c.WalkIns = int(binary.BigEndian.Uint32(v[17:]))
		langs = 21
	}
	n, rest := int(v[langs]), v[langs+1:]
	c.ByLang = make(map[string]int, n)
	for range n {
		if len(rest) < 1 || len(rest) < 1+int(rest[0])+4 {
			return DayCount{}, bad
		}
		l := string(rest[1 : 1+int(rest[0])])
		rest = rest[1+int(rest[0]):]
		c.ByLang[l] = int(binary.BigEndian.Uint32(rest))
		rest = rest[4:]
	}
	if len(rest) != 0 {
		return DayCount{}, bad
	}
	return c, nil
}

// CloseDay closes day (in Options.Location) at every office, in one
// transaction: booked appointments become no-shows, every appointment of
// the day is added to the anonymous counters (office, day, status,
// language) and then deleted with its schedule, identity and seat entries.
//
// It is idempotent: a second run finds no appointment and changes nothing;
// a late run works the same. Counts are added to what the counter already
// holds, so a run after --force that finds stragglers stays right.
//
// The deleted bytes stay in the file's free pages until Compact: callers
// compact after closing (bot jobs run close-day does).
func (s *Store) CloseDay(day scheduling.Date) (CloseReport, error) {
	rep := CloseReport{Day: day}
	if day.IsZero() {
		return rep, fmt.Errorf("close day: no day")
	}
	from, to := day.In(s.loc, 0, 0), day.AddDays(1).In(s.loc, 0, 0)
	err := s.update(func(tx *bolt.Tx) error {
		appts, ids := tx.Bucket(bucketAppointments), tx.Bucket(bucketIdentities)
		sched, seats, counters := tx.Bucket(bucketSchedule), tx.Bucket(bucketSeats), tx.Bucket(bucketCounters)
		offices, err := scheduleOffices(sched)
		if err != nil {
			return err
		}
		for _, office := range offices {
			var schedKeys, seatKeys [][]byte
			var codes []string
			if err := scanSlots(sched.Cursor(), office, from, to, func(_ int64, k, code, _ []byte) error {
				schedKeys = append(schedKeys, bytes.Clone(k))
				codes = append(codes, string(code))
				return nil
			}); err != nil {
				return err
			}
			if len(codes) == 0 {
				continue
			}
			if err := scanSlots(seats.Cursor(), office, from, to, func(_ int64, k, _, _ []byte) error {
				seatKeys = append(seatKeys, bytes.Clone(k))
				return nil
			}); err != nil {
				return err
			}
			ck, err := dayKey(office, day)
			if err != nil {
				return err
			}
			c := DayCount{Office: office, Day: day, ByLang: map[string]int{}}
			if v := counters.Get(ck); v != nil {
				if c, err = decodeCounter(ck, v); err != nil {
					return err
				}
			}
			added := DayCount{Office: office, Day: day, ByLang: map[string]int{}}
			for _, code := range codes {
				a, err := s.get(appts, code)
				if err != nil {
					return fmt.Errorf("schedule entry without record: %w", ErrCorrupt)
				}
				if a.Status == scheduling.StatusBooked {
					a.Status = scheduling.StatusNoShow
					rep.NoShows++
				}
				added.count(a)
				if err := dropIdentity(ids, a); err != nil {
					return err
				}
				if err := appts.Delete([]byte(code)); err != nil {
					return err
				}
				rep.Deleted++
			}
			for _, k := range schedKeys {
				if err := sched.Delete(k); err != nil {
					return err
				}
			}
			for _, k := range seatKeys {
				if err := seats.Delete(k); err != nil {
					return err
				}
			}
			c.add(added)
			if len(c.ByLang) > 255 {
				return fmt.Errorf("counter of %s: more than 255 languages", office)
			}
			if err := counters.Put(ck, encodeCounter(c)); err != nil {
				return err
			}
			rep.Counts = append(rep.Counts, added)
		}
		return nil
	})
	if err != nil {
		return CloseReport{Day: day}, fmt.Errorf("close day %v: %w", day, err)
	}
	return rep, nil
}

// scheduleOffices returns the offices that have schedule entries, one seek
// per office.
func scheduleOffices(sched *bolt.Bucket) ([]string, error) {
	var offices []string
	c := sched.Cursor()
	for k, _ := c.First(); k != nil; {
		office, _, _, err := splitSlotKey(k)
		if err != nil {
			return nil, fmt.Errorf("%v: %w", err, ErrCorrupt)
		}
		offices = append(offices, office)
		k, _ = c.Seek(append([]byte(office), 1))
	}
	return offices, nil
}

// DaysBefore returns, in order, the days (in Options.Location) that hold
// an appointment, of any status, starting before t: the days close-day has
// not yet closed.
func (s *Store) DaysBefore(t time.Time) ([]scheduling.Date, error) {
	seen := map[scheduling.Date]bool{}
	err := s.view(func(tx *bolt.Tx) error {
		sched := tx.Bucket(bucketSchedule)
		offices, err := scheduleOffices(sched)
		if err != nil {
			return err
		}
		for _, office := range offices {
			if err := scanSlots(sched.Cursor(), office, time.Unix(0, 0), t, func(start int64, _, _, _ []byte) error {
				seen[scheduling.DateOf(time.Unix(start, 0).In(s.loc))] = true
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("days before %d: %w", t.Unix(), err)
	}
	days := slices.Collect(maps.Keys(seen))
	slices.SortFunc(days, func(a, b scheduling.Date) int {
		switch {
		case a.Before(b):
			return -1
		case b.Before(a):
			return 1
		}
		return 0
	})
	return days, nil
}

// Counters returns every closed day's counts, by office then day.
func (s *Store) Counters() ([]DayCount, error) {
	var list []DayCount
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCounters).ForEach(func(k, v []byte) error {
			c, err := decodeCounter(k, v)
			if err != nil {
				return err
			}
			list = append(list, c)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("counters: %w", err)
	}
	return list, nil
}

// CountWalkIn adds a walk-in of people (a party; below 1 counts as 1) to
// office's counter of day. It is called when a clerk books one, before the
// day closes: the count says how many residents came without a booking,
// which no appointment record says (promise P1 keeps records thin). Like
// every counter it counts people. CloseDay adds the rest of the day to the
// same counter.
func (s *Store) CountWalkIn(office string, day scheduling.Date, people int) error {
	if err := checkText("office id", office, maxOffice); err != nil {
		return fmt.Errorf("count walk-in: %w", err)
	}
	ck, err := dayKey(office, day)
	if err != nil {
		return fmt.Errorf("count walk-in: %w", err)
	}
	err = s.update(func(tx *bolt.Tx) error {
		counters := tx.Bucket(bucketCounters)
		c := DayCount{Office: office, Day: day, ByLang: map[string]int{}}
		if v := counters.Get(ck); v != nil {
			if c, err = decodeCounter(ck, v); err != nil {
				return err
			}
		}
		c.WalkIns += max(people, 1)
		return counters.Put(ck, encodeCounter(c))
	})
	if err != nil {
		return fmt.Errorf("count walk-in at %s on %v: %w", office, day, err)
	}
	return nil
}

// Epochs returns how many stored appointments carry an identity under each
// key epoch. Cancelled appointments have none and count nowhere. A key
// whose epoch is absent can be destroyed without unlinking anyone
// (promise P7).
func (s *Store) Epochs() (map[uint32]int, error) {
	epochs := map[uint32]int{}
	err := s.All(func(a scheduling.Appointment) error {
		if !a.Identity.IsZero() {
			epochs[a.Identity.Epoch]++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("epochs in use: %w", err)
	}
	return epochs, nil
}
