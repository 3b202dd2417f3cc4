// Package conversations is cita's dialogue engine, the same for every
// channel: it takes what a resident sent (Inbound) and answers (Reply) with
// text and numbered choices, following the main menu of docs/DESIGN.md, section 4.
//
// The engine is pure: it reaches bookings through Bookings, texts through
// Messages, and takes the clock from its caller. Sessions live in memory
// only, keyed by the resident's identity hash, and are dropped after
// SessionTTL without a message (or at once on "delete my data").
//
// Residents never see an error's text: an unexpected error becomes a
// localized "something went wrong" and goes to Engine.OnError, which a
// caller logs. Errors carry operation names and ids, never message text,
// phone numbers or identities.
package conversations

import (
	"errors"
	"hash/maphash"
	"sync"
	"time"

	"github.com/cita-city/cita/scheduling"
)

// SessionTTL is how long a session lives without a message.
const SessionTTL = 30 * time.Minute

// Messages gives the texts residents read. *locales.Catalog implements it.
type Messages interface {
	// Languages returns the codes of the languages with texts.
	Languages() []string
	// Text returns message id in lang with data filled in.
	Text(lang, id string, data map[string]any) (string, error)
	// Count returns the plural form of message id for n ({{.Count}}).
	Count(lang, id string, n int, data map[string]any) (string, error)
	// Date, ShortDate and Time format t (already in the program's zone).
	Date(lang string, t time.Time) string
	ShortDate(lang string, t time.Time) string
	Time(lang string, t time.Time) string
}

// Bookings is the part of *scheduling.Service the engine uses.
type Bookings interface {
	Program() *scheduling.Program
	// The slot queries and Book take the party size: only slots with that
	// many seats free count.
	Days(office string, party int, now time.Time) ([]scheduling.Date, error)
	FreeSlots(office string, day scheduling.Date, party int, now time.Time) ([]scheduling.Slot, error)
	Earliest(office string, party int, now time.Time) (scheduling.Slot, bool, error)
	EarliestAny(party int, now time.Time) (scheduling.Slot, bool, error)
	Nearest(office string, start time.Time, party, n int, now time.Time) ([]scheduling.Slot, error)
	Book(id scheduling.Identity, lang, office string, start time.Time, party int, now time.Time) (scheduling.Appointment, error)
	Find(ids []scheduling.Identity) (scheduling.Appointment, error)
	Reschedule(ids []scheduling.Identity, office string, start time.Time, party int, now time.Time) (scheduling.Appointment, error)
	Cancel(ids []scheduling.Identity, now time.Time) (scheduling.Appointment, error)
	Forget(ids []scheduling.Identity, now time.Time) (scheduling.Appointment, bool, error)
}

// Engine runs the conversations of all residents. Safe for concurrent use:
// each session is handled by one goroutine at a time.
type Engine struct {
	// OnError, if set, receives unexpected errors (the resident was told
	// "something went wrong"). The errors hold no identifying data.
	OnError func(error)
	// RepeatWindow, if set (the bot sets RepeatWindow), makes the same
	// message from a resident within it after the one that acted a
	// repeat: it acts once. A phone that resends, or a resident who taps
	// "1" again while waiting, must not walk through the menus.
	RepeatWindow time.Duration

	bookings Bookings
	msgs     Messages

	mu       sync.Mutex
	sessions map[scheduling.Identity]*session

	words sync.Map        // lang+"\x00"+id -> [][]string: folded keyword phrases
	avail func() []string // available, worked out once (callers must not modify it)
	menus sync.Map        // lang -> []Choice: the main menu, shared; see mainChoices
	docs  sync.Map        // docsKey -> string: see documentLines
	seed  maphash.Seed    // for the digest of a session's last message
}

// RepeatWindow is how long the same message again counts as a repeat.
const RepeatWindow = 5 * time.Second

// New returns an engine booking through b and speaking through m.
func New(b Bookings, m Messages) *Engine {
	e := &Engine{bookings: b, msgs: m, sessions: map[scheduling.Identity]*session{}, seed: maphash.MakeSeed()}
	e.avail = sync.OnceValue(e.availableNow)
	return e
}

// Handle answers one message from a resident at now. The reply always has
// text; it has no choices only after the resident's data was deleted. A
// message that repeats the one that acted within RepeatWindow does nothing:
// its reply is the same text and choices again, with Repeat set.
func (e *Engine) Handle(in Inbound, now time.Time) Reply {
	for {
		s, fresh := e.session(in.Identity, now)
		s.mu.Lock()
		if s.gone {
			// Swept or forgotten between lookup and lock: start over.
			s.mu.Unlock()
			continue
		}
		digest := e.digest(in)
		if !fresh && !in.Sequential && e.RepeatWindow > 0 && digest == s.lastDigest && now.Sub(s.lastAt) < e.RepeatWindow {
			r := Reply{Lang: s.lang, Repeat: true}
			s.seen = now
			s.mu.Unlock()
			return r
		}
		r := e.converse(s, fresh, in, now)
		s.lastDigest, s.lastAt = digest, now
		s.seen = now
		r.Lang = s.lang
		s.mu.Unlock()
		return r
	}
}

// session returns the live session of id, making one if there is none or
// the last one expired.
func (e *Engine) session(id scheduling.Identity, now time.Time) (s *session, fresh bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s, ok := e.sessions[id]; ok {
		if s.mu.TryLock() {
			expired := now.Sub(s.seen) > SessionTTL
			if expired {
				s.gone = true
			}
			s.mu.Unlock()
			if !expired {
				return s, false
			}
		} else {
			return s, false // busy with another message: alive
		}
	}
	s = &session{id: id, seen: now}
	e.sessions[id] = s
	return s, true
}

// digest is a keyed hash of what the resident sent, so that a session
// recognizes a repeat without holding the text.
func (e *Engine) digest(in Inbound) uint64 {
	var h maphash.Hash
	h.SetSeed(e.seed)
	h.WriteString(in.Choice)
	h.WriteByte(0)
	h.WriteString(in.Text)
	return h.Sum64()
}

// drop removes s; the caller holds s.mu.
func (e *Engine) drop(s *session) {
	s.gone = true
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sessions[s.id] == s {
		delete(e.sessions, s.id)
	}
}

// Sweep drops the sessions idle for more than SessionTTL at now and
// returns how many it dropped.
func (e *Engine) Sweep(now time.Time) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for id, s := range e.sessions {
		if !s.mu.TryLock() {
			continue // handling a message right now
		}
		if now.Sub(s.seen) > SessionTTL {
			s.gone = true
			delete(e.sessions, id)
			n++
		}
		s.mu.Unlock()
	}
	return n
}

// Sessions returns the number of sessions held.
func (e *Engine) Sessions() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.sessions)
}

// fail reports an unexpected error and tells the resident to try again,
// offering the same choices as before.
func (e *Engine) fail(s *session, err error) Reply {
	if e.OnError != nil {
		e.OnError(err)
	}
	if len(s.choices) == 0 {
		return e.mainMenu(s, e.text(s, "error", nil))
	}
	return Reply{Text: e.text(s, "error", nil), Choices: s.choices}
}

// errNoMessage marks a text that could not be made in any language.
var errNoMessage = errors.New("no message")
