package conversations

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cita-city/cita/scheduling"
)

// state is where a session stands: what the choices last offered mean.
type state int

const (
	stMenu          state = iota // main menu (or a reply that offers only "menu")
	stQuestion                   // eligibility question number s.question
	stOffices                    // offices and hours: which office
	stOffice                     // one office's hours shown
	stBookParty                  // booking: how many people
	stBookEarliest               // booking: the earliest slot for the party, or another day or office
	stBookOffice                 // booking: which office
	stBookDay                    // booking: which day of s.office (page s.page)
	stBookTime                   // booking: which time of s.day (page s.page)
	stBookConfirm                // booking: book s.slot?
	stReminder                   // booked: reminder the day before?
	stAppointment                // my appointment shown
	stCancelConfirm              // cancel it?
	stLanguage                   // which language
	stForgetConfirm              // delete my data?
)

// session is one resident's conversation, in memory only.
type session struct {
	mu   sync.Mutex
	id   scheduling.Identity
	gone bool // dropped from the engine; a new session takes over
	seen time.Time

	lang    string
	state   state
	choices []Choice // as last offered

	question   int                     // stQuestion
	reschedule bool                    // the booking flow moves the appointment
	party      int                     // booking: people in the party, from stBookParty on
	atOffice   string                  // booking started from an office's hours: its days follow the party size
	office     string                  // booking and office info
	day        scheduling.Date         // stBookTime
	page       int                     // stBookDay, stBookTime
	slot       time.Time               // stBookConfirm, stBookEarliest
	booked     *scheduling.Appointment // stReminder (a pointer: most sessions never book, see mainChoices)

	// The message that last acted, as a keyed digest (never its text),
	// and when: a repeat within the engine's RepeatWindow does nothing.
	lastDigest uint64
	lastAt     time.Time
}

// Choice IDs. Choices that carry data add it after a colon.
const (
	idEligibility = "eligibility"
	idDocuments   = "documents"
	idOffices     = "offices"
	idBook        = "book"
	idAppointment = "appointment"
	idLanguage    = "language"
	idForget      = "0"
	idMenu        = "menu"
	idYes         = "yes"
	idNo          = "no"
	idMore        = "more"
	idReschedule  = "reschedule"
	idCancel      = "cancel"
	prefixOffice  = "office:"
	prefixBookAt  = "book-at:"
	prefixDay     = "day:"
	prefixSlot    = "slot:"
	prefixLang    = "lang:"
	prefixParty   = "party:"
	idBookNow     = "book-now"     // book the earliest slot offered
	idOtherDays   = "other-days"   // days of the earliest slot's office
	idOtherOffice = "other-office" // the office list
)

// mainIDs are the main menu's choices, in order.
var mainIDs = []string{idEligibility, idDocuments, idOffices, idBook, idAppointment, idLanguage, idForget}

var mainLabels = map[string]string{
	idEligibility: "menu.eligibility",
	idDocuments:   "menu.documents",
	idOffices:     "menu.offices",
	idBook:        "menu.book",
	idAppointment: "menu.appointment",
	idLanguage:    "menu.language",
	idForget:      "menu.forget",
}

// allIDs is the identity under every live key epoch.
func allIDs(in Inbound) []scheduling.Identity {
	return append([]scheduling.Identity{in.Identity}, in.Aliases...)
}

// converse handles one message in s (locked).
func (e *Engine) converse(s *session, fresh bool, in Inbound, now time.Time) Reply {
	if fresh {
		return e.first(s, in, now)
	}
	// Typed words that mean the same everywhere.
	if in.Choice == "" {
		words := fold(in.Text)
		switch {
		case e.anyKeyword(s.lang, "words.menu", words), e.keyword(s.lang, "words.help", words),
			e.keyword(s.lang, "words.greeting", words):
			return e.mainMenu(s, e.text(s, "menu.prompt", nil))
		case e.anyKeyword(s.lang, "words.language", words):
			return e.languages(s)
		}
	}
	id, ok := e.resolve(s, in)
	if !ok && s.state == stMenu {
		// A reply that offered only "menu" still takes a main menu number:
		// right after booking, "5" shows the appointment.
		offered := s.choices
		s.choices = e.mainChoices(s)
		if id, ok = e.resolve(s, in); !ok {
			s.choices = offered
		}
	}
	if !ok {
		if s.state == stBookParty {
			return e.askParty(s, true)
		}
		return e.retry(s)
	}
	return e.choose(s, id, in, now)
}

// first answers the first message of a session: in the resident's
// language, acting on it if it is a main menu choice, else with a welcome.
func (e *Engine) first(s *session, in Inbound, now time.Time) Reply {
	s.lang = e.pickLanguage(in)
	s.choices = e.mainChoices(s)
	s.state = stMenu
	if id, ok := e.resolve(s, in); ok {
		return e.choose(s, id, in, now)
	}
	return e.mainMenu(s, e.text(s, "welcome", map[string]any{"Program": e.bookings.Program().Name}))
}

// choose acts on the choice id the resident made.
func (e *Engine) choose(s *session, id string, in Inbound, now time.Time) Reply {
	switch {
	case id == idMenu:
		return e.mainMenu(s, e.text(s, "menu.prompt", nil))
	case id == idEligibility:
		s.question = 0
		return e.askQuestion(s)
	case id == idDocuments:
		return e.documents(s)
	case id == idOffices:
		return e.offices(s)
	case id == idBook:
		return e.startBooking(s, in, false, "", now)
	case id == idAppointment:
		return e.appointment(s, in, "")
	case id == idLanguage:
		return e.languages(s)
	case id == idForget:
		return e.confirm(s, stForgetConfirm, e.text(s, "forget.confirm", nil), "choice.yes", "choice.no")
	case id == idReschedule:
		return e.startBooking(s, in, true, "", now)
	case id == idCancel:
		return e.confirmCancel(s, in)
	case id == idMore:
		s.page++
		if s.state == stBookTime {
			return e.times(s, "", now)
		}
		return e.days(s, "", now)
	case strings.HasPrefix(id, prefixLang):
		s.lang = strings.TrimPrefix(id, prefixLang)
		return e.mainMenu(s, e.text(s, "menu.prompt", nil))
	case strings.HasPrefix(id, prefixOffice):
		s.office = strings.TrimPrefix(id, prefixOffice)
		if s.state == stOffices {
			return e.officeInfo(s, now)
		}
		s.page = 0
		return e.days(s, "", now)
	case strings.HasPrefix(id, prefixParty):
		n, err := strconv.Atoi(strings.TrimPrefix(id, prefixParty))
		if err != nil {
			return e.fail(s, fmt.Errorf("party choice: %w", err))
		}
		s.party = n
		return e.afterParty(s, now)
	case id == idBookNow:
		return e.commit(s, in, now)
	case id == idOtherDays:
		s.page = 0
		return e.days(s, "", now)
	case id == idOtherOffice:
		return e.bookOffices(s, now)
	case strings.HasPrefix(id, prefixBookAt):
		return e.startBooking(s, in, false, strings.TrimPrefix(id, prefixBookAt), now)
	case strings.HasPrefix(id, prefixDay):
		d, err := scheduling.ParseDate(strings.TrimPrefix(id, prefixDay))
		if err != nil {
			return e.fail(s, fmt.Errorf("day choice: %w", err))
		}
		s.day, s.page = d, 0
		return e.times(s, "", now)
	case strings.HasPrefix(id, prefixSlot):
		var unix int64
		if _, err := fmt.Sscan(strings.TrimPrefix(id, prefixSlot), &unix); err != nil {
			return e.fail(s, fmt.Errorf("slot choice: %w", err))
		}
		s.slot = time.Unix(unix, 0).In(e.loc())
		return e.confirmSlot(s)
	case id == idYes || id == idNo:
		return e.answer(s, id == idYes, in, now)
	}
	return e.fail(s, fmt.Errorf("choice %q in state %d: %w", id, s.state, errUnknownChoice))
}

var errUnknownChoice = errors.New("unknown choice")

// answer handles a yes or no in the state that asked.
func (e *Engine) answer(s *session, yes bool, in Inbound, now time.Time) Reply {
	switch s.state {
	case stQuestion:
		return e.answerQuestion(s, yes)
	case stBookConfirm:
		if !yes {
			return e.mainMenu(s, e.text(s, "book.kept", nil))
		}
		return e.commit(s, in, now)
	case stReminder:
		kind, text := ReminderWanted, "reminder.yes"
		if !yes {
			kind, text = ReminderDeclined, "reminder.no"
		}
		r := e.mainMenu(s, e.text(s, text, nil))
		r.Effects = []Effect{{Kind: kind, Appointment: s.bookedAppointment()}}
		return r
	case stCancelConfirm:
		if !yes {
			return e.mainMenu(s, e.text(s, "cancel.kept", nil))
		}
		return e.cancel(s, in, now)
	case stForgetConfirm:
		if !yes {
			return e.mainMenu(s, e.text(s, "forget.kept", nil))
		}
		return e.forget(s, in, now)
	}
	return e.retry(s)
}

// mainMenu shows text and the main menu.
func (e *Engine) mainMenu(s *session, text string) Reply {
	s.state = stMenu
	return e.offer(s, text, e.mainChoices(s))
}

// mainChoices returns the main menu in s's language. The slice is made once
// per language and shared by every session that shows the menu, which is
// most of them most of the time: a copy per session was a third of a live
// session's memory. Nobody may modify it (its capacity is its length, so an
// append copies).
func (e *Engine) mainChoices(s *session) []Choice {
	if cs, ok := e.menus.Load(s.lang); ok {
		return cs.([]Choice)
	}
	cs := make([]Choice, 0, len(mainIDs))
	complete := true
	for _, id := range mainIDs {
		label, exact := e.textExact(s, mainLabels[id], nil)
		complete = complete && exact
		cs = append(cs, Choice{ID: id, Label: label})
	}
	if complete {
		e.menus.Store(s.lang, cs)
	}
	return cs
}

// bookedAppointment is the appointment just booked (stReminder).
func (s *session) bookedAppointment() scheduling.Appointment {
	if s.booked == nil {
		return scheduling.Appointment{}
	}
	return *s.booked
}

// offer replies text with choices and remembers them for the next message.
func (e *Engine) offer(s *session, text string, choices []Choice) Reply {
	s.choices = choices
	return Reply{Text: text, Choices: choices}
}

// onlyMenu replies text offering just the way back to the menu.
func (e *Engine) onlyMenu(s *session, text string) Reply {
	s.state = stMenu
	return e.offer(s, text, []Choice{e.menuChoice(s)})
}

func (e *Engine) menuChoice(s *session) Choice {
	return Choice{ID: idMenu, Label: e.text(s, "choice.menu", nil)}
}

// confirm asks a yes/no question in state st.
func (e *Engine) confirm(s *session, st state, text, yes, no string) Reply {
	s.state = st
	return e.offer(s, text, []Choice{
		{ID: idYes, Label: e.text(s, yes, nil)},
		{ID: idNo, Label: e.text(s, no, nil)},
	})
}

// retry repeats the current choices after an answer that matched none.
func (e *Engine) retry(s *session) Reply {
	if len(s.choices) == 0 {
		return e.mainMenu(s, e.text(s, "retry", nil))
	}
	return Reply{Text: e.text(s, "retry", nil), Choices: s.choices}
}

// text returns message id in the session's language. A missing message is a
// bug the locale tests catch; should one ship, the resident gets the
// program's first language rather than nothing.
// textExact is text, and whether s's language had the message itself: only
// then may the result be kept for everyone speaking it.
func (e *Engine) textExact(s *session, id string, data map[string]any) (string, bool) {
	if t, err := e.msgs.Text(s.lang, id, data); err == nil {
		return t, true
	}
	return e.text(s, id, data), false // reports, falls back
}

func (e *Engine) text(s *session, id string, data map[string]any) string {
	return e.textIn(s.lang, id, data)
}

func (e *Engine) textIn(lang, id string, data map[string]any) string {
	t, err := e.msgs.Text(lang, id, data)
	if err == nil {
		return t
	}
	e.report(err)
	for _, l := range e.bookings.Program().Languages {
		if t, err := e.msgs.Text(l, id, data); err == nil {
			return t
		}
	}
	e.report(fmt.Errorf("%s: %w", id, errNoMessage))
	return id
}

func (e *Engine) count(s *session, id string, n int, data map[string]any) string {
	t, err := e.msgs.Count(s.lang, id, n, data)
	if err == nil {
		return t
	}
	e.report(err)
	for _, l := range e.bookings.Program().Languages {
		if t, err := e.msgs.Count(l, id, n, data); err == nil {
			return t
		}
	}
	return id
}

func (e *Engine) report(err error) {
	if e.OnError != nil {
		e.OnError(err)
	}
}

func (e *Engine) loc() *time.Location { return e.bookings.Program().Location }
