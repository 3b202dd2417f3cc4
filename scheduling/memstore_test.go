package scheduling

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// memStore is an in-memory Store for the service's tests: each method holds
// the mutex throughout, as each bbolt method is one transaction.
type memStore struct {
	mu    sync.Mutex
	appts map[string]Appointment // by code
}

var _ Store = (*memStore)(nil)

func newMemStore() *memStore { return &memStore{appts: map[string]Appointment{}} }

func (m *memStore) active(office string, start time.Time, except string) int {
	n := 0
	for code, a := range m.appts {
		if code != except && a.Status.Active() && a.Office == office && a.Start.Equal(start) {
			n += a.People()
		}
	}
	return n
}

func (m *memStore) find(ids ...Identity) (Appointment, bool) {
	for _, a := range m.appts {
		if a.Status.Active() && slices.Contains(ids, a.Identity) {
			return a, true
		}
	}
	return Appointment{}, false
}

func (m *memStore) Insert(a Appointment, capacity int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.find(a.Identity); ok {
		return ErrAlreadyBooked
	}
	if _, ok := m.appts[a.Code]; ok {
		return ErrCodeTaken
	}
	if m.active(a.Office, a.Start, "")+a.People() > capacity {
		return ErrSlotFull
	}
	a.Status = StatusBooked
	m.appts[a.Code] = a
	return nil
}

func (m *memStore) Move(code, office string, start time.Time, party, capacity int) (Appointment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.appts[code]
	if !ok || !a.Status.Active() {
		return Appointment{}, ErrNotFound
	}
	if party == 0 {
		party = a.People()
	}
	if m.active(office, start, code)+party > capacity {
		return Appointment{}, ErrSlotFull
	}
	a.Office, a.Start, a.Party = office, start, party
	m.appts[code] = a
	return a, nil
}

func (m *memStore) SetStatus(code string, s Status) (Appointment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.appts[code]
	if !ok {
		return Appointment{}, ErrNotFound
	}
	a.Status = s
	if s == StatusCancelled {
		a.Identity = Identity{}
	}
	m.appts[code] = a
	return a, nil
}

func (m *memStore) Delete(code string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.appts[code]; !ok {
		return ErrNotFound
	}
	delete(m.appts, code)
	return nil
}

func (m *memStore) Find(ids ...Identity) (Appointment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if a, ok := m.find(ids...); ok {
		return a, nil
	}
	return Appointment{}, ErrNotFound
}

func (m *memStore) ByCode(code string) (Appointment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if a, ok := m.appts[code]; ok {
		return a, nil
	}
	return Appointment{}, ErrNotFound
}

func (m *memStore) Taken(office string, from, to time.Time) (map[int64]int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	taken := map[int64]int{}
	for _, a := range m.appts {
		if a.Status.Active() && a.Office == office && !a.Start.Before(from) && a.Start.Before(to) {
			taken[a.Start.Unix()] += a.People()
		}
	}
	return taken, nil
}

func (m *memStore) Between(office string, from, to time.Time) ([]Appointment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Appointment
	for _, a := range m.appts {
		if (office == "" || a.Office == office) && !a.Start.Before(from) && a.Start.Before(to) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b Appointment) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Office, b.Office)
	})
	return out, nil
}
