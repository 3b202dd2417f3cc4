package scheduling

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
)

// codeTries is how many codes Book draws before giving up on collisions.
// With 31^6 (about 887 million) codes a second collision means something is
// wrong with the random source, not bad luck.
const codeTries = 5

// ErrUnknownOffice: no office of the program has that id.
var ErrUnknownOffice = errors.New("unknown office")

// Service is the booking service: program rules over a Store. Safe for
// concurrent use. Every method takes now from the caller.
type Service struct {
	program  *Program
	store    Store
	closures Closures // days closed at run time; nil: only the program's

	mu      sync.Mutex
	rand    io.Reader         // source of confirmation codes; nil means crypto/rand
	day     Date              // newest local day seen; older change counts are dropped
	changes map[changeKey]int // booking changes per identity per local day, in memory only (P1)
}

type changeKey struct {
	id  Identity
	day Date
}

// NewService returns a Service booking p's offices into s.
func NewService(p *Program, s Store) *Service {
	return &Service{program: p, store: s, changes: map[changeKey]int{}}
}

// SetRand makes the service draw confirmation codes from r instead of
// crypto/rand. For tests and transcripts that need codes known in advance;
// never in production, where codes must be unguessable.
func (s *Service) SetRand(r io.Reader) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rand = r
}

// Closures reports the days a manager closed an office at run time (a snow
// day), on top of the program file's closures. storage.Store implements it.
type Closures interface {
	Closed(office string, d Date) (bool, error)
	// ClosedDays returns the closed days in [from, to), in order: one
	// lookup for a whole horizon instead of one a day.
	ClosedDays(office string, from, to Date) ([]Date, error)
}

// SetClosures makes the service treat the days c reports closed like the
// program's closures: no free slots, no booking, no moving there. Call it
// before the service is shared (it is not synchronized).
func (s *Service) SetClosures(c Closures) { s.closures = c }

// Program returns the program the service books for.
func (s *Service) Program() *Program { return s.program }

// Slot is a bookable time at an office with its free seats.
type Slot struct {
	Office string
	Start  time.Time // in the program's location
	Free   int
}

// Days returns the dates, from now's date through the horizon, on which
// office has at least one bookable slot with party seats free.
func (s *Service) Days(office string, party int, now time.Time) ([]Date, error) {
	from, to := s.window(now)
	var days []Date
	err := s.eachFree(office, from, to, now.Add(s.program.Lead), party, func(d Date, _ Slot) bool {
		if len(days) == 0 || days[len(days)-1] != d {
			days = append(days, d)
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("days %s: %w", office, err)
	}
	return days, nil
}

// FreeSlots returns office's bookable slots on day with party seats free,
// in order.
func (s *Service) FreeSlots(office string, day Date, party int, now time.Time) ([]Slot, error) {
	return s.slotsOn("free slots", office, day, party, now, false)
}

// WalkInSlots is FreeSlots for a resident standing at the desk: without the
// lead time, so it includes the slot running at now (not one that has
// ended). Everything else (horizon, closures, capacity) still applies.
func (s *Service) WalkInSlots(office string, day Date, now time.Time) ([]Slot, error) {
	return s.slotsOn("walk-in slots", office, day, 1, now, true)
}

// slotsOn is FreeSlots, or WalkInSlots when walkIn; what names it in errors.
func (s *Service) slotsOn(what, office string, day Date, party int, now time.Time, walkIn bool) ([]Slot, error) {
	o, ok := s.program.Office(office)
	if !ok {
		return nil, fmt.Errorf("%s %s %s: %w", what, office, day, ErrUnknownOffice)
	}
	if from, to := s.window(now); day.Before(from) || to.Before(day) {
		return nil, nil
	}
	free, err := s.free(office, day, day, s.earliest(o, now, walkIn), party)
	if err != nil {
		return nil, fmt.Errorf("%s %s %s: %w", what, office, day, err)
	}
	return free, nil
}

// earliest is the first slot start one can book at now: the lead time
// ahead, or for a walk-in that of the slot running now.
func (s *Service) earliest(o Office, now time.Time, walkIn bool) time.Time {
	if walkIn {
		return now.Add(-time.Duration(o.SlotMinutes)*time.Minute + time.Nanosecond)
	}
	return now.Add(s.program.Lead)
}

// Earliest returns the first bookable slot of office with party seats free
// (ok false if none in the horizon).
func (s *Service) Earliest(office string, party int, now time.Time) (slot Slot, ok bool, err error) {
	from, to := s.window(now)
	err = s.eachFree(office, from, to, now.Add(s.program.Lead), party, func(_ Date, sl Slot) bool {
		slot, ok = sl, true
		return false
	})
	if err != nil {
		return Slot{}, false, fmt.Errorf("earliest %s: %w", office, err)
	}
	return slot, ok, nil
}

// EarliestAny is Earliest over every office: the first slot anywhere with
// party seats free; of two offices with the same time, the one listed
// first in the program.
func (s *Service) EarliestAny(party int, now time.Time) (slot Slot, ok bool, err error) {
	for _, o := range s.program.Offices {
		sl, found, err := s.Earliest(o.ID, party, now)
		if err != nil {
			return Slot{}, false, err
		}
		if found && (!ok || sl.Start.Before(slot.Start)) {
			slot, ok = sl, true
		}
	}
	return slot, ok, nil
}

// Nearest returns up to n bookable slots of office with party seats free,
// closest in time to start, closest first; of two equally close, the earlier
// comes first. start itself is among them if it has room.
func (s *Service) Nearest(office string, start time.Time, party, n int, now time.Time) ([]Slot, error) {
	from, to := s.window(now)
	free, err := s.free(office, from, to, now.Add(s.program.Lead), party)
	if err != nil {
		return nil, fmt.Errorf("nearest %s %s: %w", office, s.when(start), err)
	}
	dist := func(sl Slot) time.Duration { return sl.Start.Sub(start).Abs() }
	slices.SortStableFunc(free, func(a, b Slot) int { return cmp.Compare(dist(a), dist(b)) })
	return free[:min(max(n, 0), len(free))], nil
}

// Book books office/start for id and a party of party people (all in that
// slot, one code). Errors: ErrNotBookable (also wrapping ErrUnknownOffice
// for an unknown office), ErrPartySize, ErrAlreadyBooked, ErrSlotFull (not
// party seats free), ErrTooManyChanges. A lang the program does not offer
// is stored as its first language.
func (s *Service) Book(id Identity, lang, office string, start time.Time, party int, now time.Time) (Appointment, error) {
	a, err := s.book(id, lang, office, start, party, now, false)
	if err != nil {
		return Appointment{}, fmt.Errorf("book %s %s: %w", office, s.when(start), err)
	}
	return a, nil
}

// BookWalkIn is Book for a resident standing at a clerk's desk: it skips
// the lead time, so any slot that has not ended can be booked (see
// WalkInSlots), and follows every other rule of Book.
func (s *Service) BookWalkIn(id Identity, lang, office string, start time.Time, party int, now time.Time) (Appointment, error) {
	a, err := s.book(id, lang, office, start, party, now, true)
	if err != nil {
		return Appointment{}, fmt.Errorf("book walk-in %s %s: %w", office, s.when(start), err)
	}
	return a, nil
}

func (s *Service) book(id Identity, lang, office string, start time.Time, party int, now time.Time, walkIn bool) (Appointment, error) {
	p := s.program
	if id.IsZero() {
		return Appointment{}, errors.New("no identity")
	}
	if err := s.checkParty(party); err != nil {
		return Appointment{}, err
	}
	o, err := s.bookable(office, start, now, walkIn)
	if err != nil {
		return Appointment{}, err
	}
	release, err := s.count([]Identity{id}, now, true)
	if err != nil {
		return Appointment{}, err
	}
	if !slices.Contains(p.Languages, lang) {
		lang = p.Languages[0]
	}
	a := Appointment{
		Identity: id,
		Office:   o.ID,
		Start:    start.In(p.Location),
		Lang:     lang,
		Status:   StatusBooked,
		Made:     DateOf(now.In(p.Location)),
		Party:    party,
	}
	for try := 1; ; try++ {
		if a.Code, err = s.newCode(); err != nil {
			break
		}
		if err = s.store.Insert(a, o.Desks); err == nil {
			return a, nil
		}
		if !errors.Is(err, ErrCodeTaken) || try == codeTries {
			break
		}
	}
	release()
	return Appointment{}, err
}

// Find returns the active appointment of any of ids (the same address under
// each live key epoch), or ErrNotFound.
func (s *Service) Find(ids []Identity) (Appointment, error) {
	if len(ids) == 0 {
		return Appointment{}, fmt.Errorf("find appointment: %w", ErrNotFound)
	}
	a, err := s.store.Find(ids...)
	if err != nil {
		return Appointment{}, fmt.Errorf("find appointment: %w", err)
	}
	return a, nil
}

// Reschedule moves the active appointment of ids to office/start as a party
// of party people (0 keeps its size), keeping its code. Errors: those of
// Book except ErrAlreadyBooked, and ErrNotFound when there is no booked
// appointment (a checked-in one cannot be moved). Moving to the slot and
// size it already has changes nothing and does not count as a change.
func (s *Service) Reschedule(ids []Identity, office string, start time.Time, party int, now time.Time) (Appointment, error) {
	a, err := s.reschedule(ids, office, start, party, now)
	if err != nil {
		return Appointment{}, fmt.Errorf("reschedule to %s %s: %w", office, s.when(start), err)
	}
	return a, nil
}

func (s *Service) reschedule(ids []Identity, office string, start time.Time, party int, now time.Time) (Appointment, error) {
	o, err := s.bookable(office, start, now, false)
	if err != nil {
		return Appointment{}, err
	}
	if party != 0 {
		if err := s.checkParty(party); err != nil {
			return Appointment{}, err
		}
	}
	cur, err := s.booked(ids)
	if err != nil {
		return Appointment{}, err
	}
	if party == 0 {
		party = cur.People()
	}
	if cur.Office == o.ID && cur.Start.Equal(start) && cur.People() == party {
		return cur, nil
	}
	release, err := s.count(ids, now, true)
	if err != nil {
		return Appointment{}, err
	}
	a, err := s.store.Move(cur.Code, o.ID, start.In(s.program.Location), party, o.Desks)
	if err != nil {
		release()
		return Appointment{}, err
	}
	return a, nil
}

// Cancel cancels the active appointment of ids (ErrNotFound if there is none
// still booked). A cancellation counts as a booking change but is never
// refused for the limit: a resident who cannot come must always be able to
// free the seat.
func (s *Service) Cancel(ids []Identity, now time.Time) (Appointment, error) {
	cur, err := s.booked(ids)
	if err != nil {
		return Appointment{}, fmt.Errorf("cancel: %w", err)
	}
	release, _ := s.count(ids, now, false)
	a, err := s.store.SetStatus(cur.Code, StatusCancelled)
	if err != nil {
		release()
		return Appointment{}, fmt.Errorf("cancel: %w", err)
	}
	return a, nil
}

// Forget deletes every stored appointment of ids outright (delete my data);
// it reports what was deleted (ok false if there was nothing). Cancelled
// appointments have no identity left and cannot be found, so they are not
// deleted here: the day's close removes them. Never limited by ChangesPerDay.
func (s *Service) Forget(ids []Identity, now time.Time) (a Appointment, ok bool, err error) {
	if len(ids) == 0 {
		return Appointment{}, false, nil
	}
	// One active appointment per identity, so at most one per id; the bound
	// only guards against a store that does not delete.
	for range len(ids) {
		found, err := s.store.Find(ids...)
		if errors.Is(err, ErrNotFound) {
			break
		}
		if err == nil {
			err = s.store.Delete(found.Code)
		}
		if err != nil {
			return a, ok, fmt.Errorf("forget: %w", err)
		}
		if !ok {
			a, ok = found, true
		}
	}
	return a, ok, nil
}

// booked returns the appointment of ids if it is still booked.
func (s *Service) booked(ids []Identity) (Appointment, error) {
	if len(ids) == 0 {
		return Appointment{}, ErrNotFound
	}
	a, err := s.store.Find(ids...)
	if err != nil {
		return Appointment{}, err
	}
	if a.Status != StatusBooked {
		return Appointment{}, fmt.Errorf("appointment is %s: %w", a.Status, ErrNotFound)
	}
	return a, nil
}

// bookable returns office if start is one of its slots that can be booked at
// now: at least the lead time ahead, or for a walk-in not yet ended.
func (s *Service) bookable(office string, start, now time.Time, walkIn bool) (Office, error) {
	p := s.program
	o, ok := p.Office(office)
	if !ok {
		return Office{}, fmt.Errorf("%w: %w", ErrNotBookable, ErrUnknownOffice)
	}
	d := DateOf(start.In(p.Location))
	from, to := s.window(now)
	switch {
	case d.Before(from) || to.Before(d):
		return Office{}, fmt.Errorf("%w: not within %d days", ErrNotBookable, p.HorizonDays)
	case walkIn && start.Before(s.earliest(o, now, true)):
		return Office{}, fmt.Errorf("%w: slot has ended", ErrNotBookable)
	case !walkIn && start.Before(s.earliest(o, now, false)):
		return Office{}, fmt.Errorf("%w: less than %v ahead", ErrNotBookable, p.Lead)
	case p.Closed(o.ID, d):
		return Office{}, fmt.Errorf("%w: closed on %s", ErrNotBookable, d)
	case !slices.ContainsFunc(p.Slots(o, d), start.Equal):
		return Office{}, fmt.Errorf("%w: not a slot start", ErrNotBookable)
	}
	closed, err := s.closed(o.ID, d)
	if err != nil {
		return Office{}, err
	}
	if closed {
		return Office{}, fmt.Errorf("%w: closed on %s", ErrNotBookable, d)
	}
	return o, nil
}

// closed reports whether a manager closed office on d at run time.
func (s *Service) closed(office string, d Date) (bool, error) {
	if s.closures == nil {
		return false, nil
	}
	return s.closures.Closed(office, d)
}

// window returns the first and last day one can book on at now.
func (s *Service) window(now time.Time) (from, to Date) {
	from = DateOf(now.In(s.program.Location))
	return from, from.AddDays(s.program.HorizonDays)
}

// checkParty reports ErrPartySize unless party is 1..max_party.
func (s *Service) checkParty(party int) error {
	if party < 1 || party > max(s.program.MaxParty, 1) {
		return fmt.Errorf("%w: %d, want 1 to %d", ErrPartySize, party, max(s.program.MaxParty, 1))
	}
	return nil
}

// free returns office's slots with party seats free on days from through
// to that start at or after earliest, in order.
func (s *Service) free(office string, from, to Date, earliest time.Time, party int) ([]Slot, error) {
	var out []Slot
	err := s.eachFree(office, from, to, earliest, party, func(_ Date, sl Slot) bool {
		out = append(out, sl)
		return true
	})
	return out, err
}

// eachFree calls fn with office's slots with at least party seats free on
// days from through to that start at or after earliest, and their day, in
// order, until fn returns false. The questions a resident asks first (which
// days, the earliest slot) look at a whole horizon and need little of it.
func (s *Service) eachFree(office string, from, to Date, earliest time.Time, party int, fn func(Date, Slot) bool) error {
	party = max(party, 1)
	p := s.program
	o, ok := p.Office(office)
	if !ok {
		return ErrUnknownOffice
	}
	taken, err := s.store.Taken(o.ID, from.In(p.Location, 0, 0), to.AddDays(1).In(p.Location, 0, 0))
	if err != nil {
		return err
	}
	var closed []Date // run-time closures, read at the first day with slots
	fetched := false
	for d := from; !to.Before(d); d = d.AddDays(1) {
		slots := p.Slots(o, d)
		if len(slots) == 0 {
			continue
		}
		if !fetched && s.closures != nil {
			if closed, err = s.closures.ClosedDays(o.ID, from, to.AddDays(1)); err != nil {
				return err
			}
			fetched = true
		}
		if slices.Contains(closed, d) {
			continue
		}
		for _, t := range slots {
			if t.Before(earliest) {
				continue
			}
			if n := o.Desks - taken[t.Unix()]; n >= party && !fn(d, Slot{Office: o.ID, Start: t, Free: n}) {
				return nil
			}
		}
	}
	return nil
}

// count records a booking change for each of ids on now's local day and
// returns a function that takes it back (for an attempt that failed). When
// enforce is set it refuses with ErrTooManyChanges once any of ids, which
// are one resident under several key epochs, has reached the limit.
func (s *Service) count(ids []Identity, now time.Time, enforce bool) (release func(), err error) {
	day := DateOf(now.In(s.program.Location))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.day.Before(day) {
		s.day = day
		for k := range s.changes {
			if k.day.Before(day) {
				delete(s.changes, k)
			}
		}
	}
	if enforce {
		for _, id := range ids {
			if s.changes[changeKey{id, day}] >= s.program.ChangesPerDay {
				return nil, ErrTooManyChanges
			}
		}
	}
	for _, id := range ids {
		s.changes[changeKey{id, day}]++
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, id := range ids {
			k := changeKey{id, day}
			if s.changes[k] > 1 {
				s.changes[k]--
			} else {
				delete(s.changes, k)
			}
		}
	}, nil
}

func (s *Service) newCode() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return NewCode(s.rand)
}

// when formats a slot start for error messages.
func (s *Service) when(t time.Time) string {
	return t.In(s.program.Location).Format("2006-01-02 15:04 MST")
}
