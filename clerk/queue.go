package clerk

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cita-city/cita/scheduling"
)

// The day's queue (who arrived when, who was called to which desk, who was
// served) lives only in this process's memory, never in the database:
// promise P1 keeps an appointment at rest to its status, and an arrival or
// a call time could be matched against a camera or a provider log. A
// restart loses it, which a day's queue can afford: residents checked in
// before the restart come back as waiting, in slot order, with their
// arrival time unknown.

// queueEntry is one checked-in resident of today.
type queueEntry struct {
	code    string
	slot    time.Time
	arrived time.Time // zero: checked in before a restart
	desk    string    // called to, "" while waiting
	called  time.Time
	callNo  uint64 // orders calls made within the same second
	served  bool
}

// lobbyCall is one call as the waiting-room screen shows it: a code and a
// desk, nothing else about the resident.
type lobbyCall struct {
	Code string `json:"code"`
	Desk string `json:"desk"`
}

// queues holds today's queue of every office.
type queues struct {
	mu      sync.Mutex
	day     scheduling.Date
	offices map[string]map[string]*queueEntry // office -> code -> entry
	calls   map[string]uint64                 // office -> calls made today, for the lobby's sound cue
	desks   map[string]string                 // clerk -> desk last called to
}

func newQueues() *queues {
	return &queues{offices: map[string]map[string]*queueEntry{}, calls: map[string]uint64{}, desks: map[string]string{}}
}

// office returns today's entries of office, dropping another day's; the
// caller holds mu.
func (q *queues) office(office string, today scheduling.Date) map[string]*queueEntry {
	if q.day != today {
		q.day = today
		q.offices = map[string]map[string]*queueEntry{}
		q.calls = map[string]uint64{}
	}
	m := q.offices[office]
	if m == nil {
		m = map[string]*queueEntry{}
		q.offices[office] = m
	}
	return m
}

// arrive puts a checked-in resident at the end of the queue.
func (q *queues) arrive(office, code string, slot, now time.Time, today scheduling.Date) {
	q.mu.Lock()
	defer q.mu.Unlock()
	m := q.office(office, today)
	m[code] = &queueEntry{code: code, slot: slot, arrived: now}
}

// adopt adds residents checked in before a restart, if missing.
func (q *queues) adopt(office string, checkedIn []scheduling.Appointment, today scheduling.Date) {
	q.mu.Lock()
	defer q.mu.Unlock()
	m := q.office(office, today)
	for _, a := range checkedIn {
		if m[a.Code] == nil {
			m[a.Code] = &queueEntry{code: a.Code, slot: a.Start}
		}
	}
}

// leave takes code out of the queue (its check-in was undone).
func (q *queues) leave(office, code string, today scheduling.Date) {
	q.mu.Lock()
	defer q.mu.Unlock()
	m := q.office(office, today)
	if m[code] != nil {
		delete(m, code)
	}
}

var errNotWaiting = errors.New("not in the queue")

// call calls code (or, if code is "", the first waiting) to desk and
// returns the code called.
func (q *queues) call(office, code, desk, clerk string, now time.Time, today scheduling.Date) (string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	m := q.office(office, today)
	var e *queueEntry
	if code == "" {
		if w := waiting(m); len(w) > 0 {
			e = w[0]
		}
	} else {
		e = m[code]
	}
	if e == nil || e.served {
		return code, errNotWaiting
	}
	e.desk, e.called = desk, now
	q.desks[clerk] = desk
	q.calls[office]++
	e.callNo = q.calls[office]
	return e.code, nil
}

// serve marks code as served.
func (q *queues) serve(office, code string, today scheduling.Date) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	e := q.office(office, today)[code]
	if e == nil {
		return errNotWaiting
	}
	e.served = true
	return nil
}

func (q *queues) desk(clerk string) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.desks[clerk]
}

// waiting returns the entries not yet called: arrival unknown first (they
// came before a restart) by slot, then by arrival.
func waiting(m map[string]*queueEntry) []*queueEntry {
	var w []*queueEntry
	for _, e := range m {
		if e.desk == "" && !e.served {
			w = append(w, e)
		}
	}
	slices.SortFunc(w, func(a, b *queueEntry) int {
		if c := a.arrived.Compare(b.arrived); c != 0 {
			return c
		}
		if c := a.slot.Compare(b.slot); c != 0 {
			return c
		}
		return strings.Compare(a.code, b.code)
	})
	return w
}

// queueView is the queue panel of the day list.
type queueView struct {
	Waiting []queueLine
	Called  []queueLine
	Served  int
}

type queueLine struct {
	Code, Slot, Wait, Desk, At string
}

// view returns office's queue as the day list shows it at now.
func (q *queues) view(office string, now time.Time, today scheduling.Date, loc *time.Location) queueView {
	q.mu.Lock()
	defer q.mu.Unlock()
	m := q.office(office, today)
	var v queueView
	for _, e := range waiting(m) {
		l := queueLine{Code: e.code, Slot: e.slot.In(loc).Format("15:04"), Wait: "arrived before a restart"}
		if !e.arrived.IsZero() {
			l.Wait = waitWords(now.Sub(e.arrived))
			l.At = e.arrived.In(loc).Format("15:04")
		}
		v.Waiting = append(v.Waiting, l)
	}
	var called []*queueEntry
	for _, e := range m {
		switch {
		case e.served:
			v.Served++
		case e.desk != "":
			called = append(called, e)
		}
	}
	slices.SortFunc(called, newestCall)
	for _, e := range called {
		v.Called = append(v.Called, queueLine{Code: e.code, Slot: e.slot.In(loc).Format("15:04"), Desk: e.desk, At: e.called.In(loc).Format("15:04")})
	}
	return v
}

// lobbyView is what the waiting-room screen shows: calls not yet served,
// newest first, and the next codes waiting. Codes and desks only.
type lobbyView struct {
	Calls   uint64      `json:"calls"` // calls made today: a new one sounds the cue
	Called  []lobbyCall `json:"called"`
	Waiting []string    `json:"waiting"`
}

const (
	lobbyCalls   = 6
	lobbyWaiting = 5
)

func (q *queues) lobby(office string, today scheduling.Date) lobbyView {
	q.mu.Lock()
	defer q.mu.Unlock()
	m := q.office(office, today)
	v := lobbyView{Calls: q.calls[office], Called: []lobbyCall{}, Waiting: []string{}}
	var called []*queueEntry
	for _, e := range m {
		if e.desk != "" && !e.served {
			called = append(called, e)
		}
	}
	slices.SortFunc(called, newestCall)
	for _, e := range called[:min(len(called), lobbyCalls)] {
		v.Called = append(v.Called, lobbyCall{e.code, e.desk})
	}
	for _, e := range waiting(m) {
		if len(v.Waiting) == lobbyWaiting {
			break
		}
		v.Waiting = append(v.Waiting, e.code)
	}
	return v
}

func newestCall(a, b *queueEntry) int { return cmp.Compare(b.callNo, a.callNo) }

// waitWords says how long someone has waited, in whole minutes.
func waitWords(d time.Duration) string {
	n := int(d / time.Minute)
	if n < 1 {
		return "under a minute"
	}
	return plural(n, "minute", "minutes")
}

// plural is "1 minute", "2 minutes".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// validDesk accepts what a desk is called on the lobby screen: 1 to 12
// letters, digits, spaces or dashes.
func validDesk(d string) bool {
	if d == "" || len(d) > 12 {
		return false
	}
	for _, c := range d {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == ' ' || c == '-') {
			return false
		}
	}
	return true
}

// call calls a checked-in resident of today (the code posted, or the next
// waiting when the code is empty) to the posted desk.
func (s *server) call(w http.ResponseWriter, r *http.Request, p *principal) {
	defer s.back(w, r)
	office := r.PostFormValue("office")
	if _, ok := s.Program.Office(office); !ok {
		s.flashError(p, "Pick an office.")
		return
	}
	desk := strings.TrimSpace(r.PostFormValue("desk"))
	if !validDesk(desk) {
		s.flashError(p, "Say which desk to call to: up to 12 letters or digits, such as 2 or B.")
		return
	}
	code := ""
	if v := strings.TrimSpace(r.PostFormValue("code")); v != "" {
		code = scheduling.NormalizeCode(v)
		if !scheduling.ValidCode(code) {
			s.flashError(p, "That is not a confirmation code: codes have 6 letters and digits.")
			return
		}
	}
	called, err := s.queue.call(office, code, desk, p.name, s.Now(), s.today())
	if err != nil {
		if code == "" {
			s.flashWarn(p, "Nobody is waiting.")
		} else {
			s.flashError(p, code+" is not waiting here: check the resident in first.")
		}
		return
	}
	s.audit(p, "call desk "+desk, called)
	s.flash(p, fmt.Sprintf("Called %s to desk %s.", called, desk))
}

// served marks a called resident as done.
func (s *server) served(w http.ResponseWriter, r *http.Request, p *principal) {
	defer s.back(w, r)
	office := r.PostFormValue("office")
	code := scheduling.NormalizeCode(r.PostFormValue("code"))
	if err := s.queue.serve(office, code, s.today()); err != nil {
		s.flashError(p, code+" is not in today's queue here.")
		return
	}
	s.audit(p, "served", code)
	s.flash(p, code+" served.")
}
