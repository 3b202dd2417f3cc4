package conversations_test

import (
	"sort"
	"sync"
	"time"

	"github.com/cita-city/cita/scheduling"
)

// memStore is an in-memory scheduling.Store for tests: the real rules
// (one active appointment per identity, capacity per slot, unique codes)
// under one mutex, so concurrent bookers of the last seat cannot both win.
type memStore struct {
	mu    sync.Mutex
	appts map[string]scheduling.Appointment // by code
}

var _ scheduling.Store = (*memStore)(nil)

func newMemStore() *memStore { return &memStore{appts: map[string]scheduling.Appointment{}} }

func (m *memStore) taken(office string, start time.Time, skip string) int {
	n := 0
	for code, a := range m.appts {
		if code != skip && a.Status.Active() && a.Office == office && a.Start.Equal(start) {
			n += a.People()
		}
	}
	return n
}

func (m *memStore) find(ids ...scheduling.Identity) (scheduling.Appointment, bool) {
	for _, a := range m.sorted() {
		if !a.Status.Active() {
			continue
		}
		for _, id := range ids {
			if a.Identity == id {
				return a, true
			}
		}
	}
	return scheduling.Appointment{}, false
}

// sorted returns all appointments by start, office, code: map order must
// never leak into results.
func (m *memStore) sorted() []scheduling.Appointment {
	out := make([]scheduling.Appointment, 0, len(m.appts))
	for _, a := range m.appts {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		if a.Office != b.Office {
			return a.Office < b.Office
		}
		return a.Code < b.Code
	})
	return out
}

func (m *memStore) Insert(a scheduling.Appointment, capacity int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.find(a.Identity); ok {
		return scheduling.ErrAlreadyBooked
	}
	if m.taken(a.Office, a.Start, "")+a.People() > capacity {
		return scheduling.ErrSlotFull
	}
	if _, ok := m.appts[a.Code]; ok {
		return scheduling.ErrCodeTaken
	}
	a.Status = scheduling.StatusBooked
	m.appts[a.Code] = a
	return nil
}

func (m *memStore) Move(code, office string, start time.Time, party, capacity int) (scheduling.Appointment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.appts[code]
	if !ok || !a.Status.Active() {
		return scheduling.Appointment{}, scheduling.ErrNotFound
	}
	if party == 0 {
		party = a.People()
	}
	if m.taken(office, start, code)+party > capacity {
		return scheduling.Appointment{}, scheduling.ErrSlotFull
	}
	a.Office, a.Start, a.Party = office, start, party
	m.appts[code] = a
	return a, nil
}

func (m *memStore) SetStatus(code string, s scheduling.Status) (scheduling.Appointment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.appts[code]
	if !ok {
		return scheduling.Appointment{}, scheduling.ErrNotFound
	}
	a.Status = s
	if s == scheduling.StatusCancelled {
		a.Identity = scheduling.Identity{}
	}
	m.appts[code] = a
	return a, nil
}

func (m *memStore) Delete(code string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.appts[code]; !ok {
		return scheduling.ErrNotFound
	}
	delete(m.appts, code)
	return nil
}

func (m *memStore) Find(ids ...scheduling.Identity) (scheduling.Appointment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if a, ok := m.find(ids...); ok {
		return a, nil
	}
	return scheduling.Appointment{}, scheduling.ErrNotFound
}

func (m *memStore) ByCode(code string) (scheduling.Appointment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.appts[code]
	if !ok {
		return scheduling.Appointment{}, scheduling.ErrNotFound
	}
	return a, nil
}

func (m *memStore) Taken(office string, from, to time.Time) (map[int64]int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[int64]int{}
	for _, a := range m.appts {
		if a.Status.Active() && a.Office == office && !a.Start.Before(from) && a.Start.Before(to) {
			out[a.Start.Unix()] += a.People()
		}
	}
	return out, nil
}

func (m *memStore) Between(office string, from, to time.Time) ([]scheduling.Appointment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []scheduling.Appointment
	for _, a := range m.sorted() {
		if (office == "" || a.Office == office) && !a.Start.Before(from) && a.Start.Before(to) {
			out = append(out, a)
		}
	}
	return out, nil
}
