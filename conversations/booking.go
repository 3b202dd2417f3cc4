package conversations

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cita-city/cita/scheduling"
)

// Page sizes: short enough for an SMS, long enough to rarely need "more".
const (
	daysPerPage  = 7
	timesPerPage = 8
	nearestSlots = 3
)

// startBooking starts the booking flow (or, with reschedule, the flow that
// moves the appointment): how many people, when the program allows
// parties, then the earliest slot with room for them, or office's days if
// given.
func (e *Engine) startBooking(s *session, in Inbound, reschedule bool, office string, now time.Time) Reply {
	a, err := e.bookings.Find(allIDs(in))
	switch {
	case err == nil && !reschedule:
		return e.showAppointment(s, e.text(s, "book.already", nil), a)
	case errors.Is(err, scheduling.ErrNotFound) && reschedule:
		return e.noAppointment(s, "")
	case err != nil && !errors.Is(err, scheduling.ErrNotFound):
		return e.fail(s, err)
	}
	s.reschedule, s.atOffice, s.party = reschedule, office, 1
	if e.maxParty() > 1 {
		return e.askParty(s, false)
	}
	return e.afterParty(s, now)
}

// maxParty is the program's max_party, at least 1.
func (e *Engine) maxParty() int { return max(e.bookings.Program().MaxParty, 1) }

// askParty asks how many people will come (again, after an answer that was
// not 1..max_party). The choices are the numbers themselves, which Render
// writes on one line; typing the number picks it.
func (e *Engine) askParty(s *session, again bool) Reply {
	text := e.text(s, "book.party", nil)
	if again {
		text = e.text(s, "book.party.again", map[string]any{"Max": e.maxParty()}) + "\n" + text
	}
	cs := make([]Choice, 0, e.maxParty())
	for n := 1; n <= e.maxParty(); n++ {
		cs = append(cs, Choice{ID: prefixParty + strconv.Itoa(n), Label: strconv.Itoa(n)})
	}
	s.state = stBookParty
	return e.offer(s, text, cs)
}

// afterParty goes on once s.party is known: to the days of the office the
// booking started from, or to the earliest slot with room for the party
// at any office, which "1" books at once.
func (e *Engine) afterParty(s *session, now time.Time) Reply {
	if s.atOffice != "" {
		s.office, s.page = s.atOffice, 0
		return e.days(s, "", now)
	}
	best, found, err := e.bookings.EarliestAny(s.party, now)
	if err != nil {
		return e.fail(s, err)
	}
	if !found {
		if s.party > 1 {
			r := e.askParty(s, false)
			r.Text = e.text(s, "book.party.none", nil) + "\n" + r.Text
			return r
		}
		return e.onlyMenu(s, e.count(s, "book.none", e.bookings.Program().HorizonDays, nil))
	}
	s.office, s.slot = best.Office, best.Start.In(e.loc())
	text := e.text(s, "book.earliest", nil) + "\n" + e.describe(s, scheduling.Appointment{
		Office: best.Office, Start: best.Start, Party: s.party,
	}, false)
	s.state = stBookEarliest
	return e.offer(s, text, []Choice{
		{ID: idBookNow, Label: e.text(s, "book.earliest.yes", nil)},
		{ID: idOtherDays, Label: e.text(s, "book.earliest.days", nil)},
		{ID: idOtherOffice, Label: e.text(s, "book.earliest.offices", nil)},
		e.menuChoice(s),
	})
}

// bookOffices asks for the office, naming the earliest free time anywhere.
func (e *Engine) bookOffices(s *session, now time.Time) Reply {
	p := e.bookings.Program()
	var best scheduling.Slot
	found := false
	for _, o := range p.Offices {
		sl, ok, err := e.bookings.Earliest(o.ID, s.party, now)
		if err != nil {
			return e.fail(s, err)
		}
		if ok && (!found || sl.Start.Before(best.Start)) {
			best, found = sl, true
		}
	}
	if !found {
		return e.onlyMenu(s, e.count(s, "book.none", p.HorizonDays, nil))
	}
	o, _ := p.Office(best.Office)
	text := e.text(s, "book.office", map[string]any{
		"Date":   e.msgs.Date(s.lang, best.Start.In(p.Location)),
		"Time":   e.msgs.Time(s.lang, best.Start.In(p.Location)),
		"Office": o.Name(s.lang),
	})
	s.state = stBookOffice
	return e.offer(s, text, e.officeChoices(s, prefixOffice))
}

// days lists the days of s.office with free times, page s.page; prefix
// goes before the question.
func (e *Engine) days(s *session, prefix string, now time.Time) Reply {
	p := e.bookings.Program()
	o, ok := p.Office(s.office)
	if !ok {
		return e.retry(s)
	}
	days, err := e.bookings.Days(o.ID, s.party, now)
	if err != nil {
		return e.fail(s, err)
	}
	if len(days) == 0 {
		r := e.bookOffices(s, now)
		r.Text = e.text(s, "book.day.none", map[string]any{"Office": o.Name(s.lang)})
		return r
	}
	page, more := pageOf(days, &s.page, daysPerPage)
	var cs []Choice
	for _, d := range page {
		cs = append(cs, Choice{ID: prefixDay + d.String(), Label: e.msgs.ShortDate(s.lang, d.In(p.Location, 12, 0))})
	}
	cs = e.moreAndMenu(s, cs, more)
	s.state = stBookDay
	return e.offer(s, join(prefix, e.text(s, "book.day", map[string]any{"Office": o.Name(s.lang)})), cs)
}

// times lists the free times of s.office on s.day, page s.page.
func (e *Engine) times(s *session, prefix string, now time.Time) Reply {
	p := e.bookings.Program()
	slots, err := e.bookings.FreeSlots(s.office, s.day, s.party, now)
	if err != nil {
		return e.fail(s, err)
	}
	if len(slots) == 0 {
		s.page = 0
		return e.days(s, e.text(s, "book.gone", nil), now)
	}
	page, more := pageOf(slots, &s.page, timesPerPage)
	var cs []Choice
	for _, sl := range page {
		cs = append(cs, Choice{ID: slotID(sl.Start), Label: e.msgs.Time(s.lang, sl.Start.In(p.Location))})
	}
	cs = e.moreAndMenu(s, cs, more)
	text := e.count(s, "book.time", len(slots), map[string]any{"Date": e.msgs.Date(s.lang, s.day.In(p.Location, 12, 0))})
	s.state = stBookTime
	return e.offer(s, join(prefix, text), cs)
}

// pageOf returns page *n of items (wrapping to the first page after the
// last) and whether more follow.
func pageOf[T any](items []T, n *int, size int) ([]T, bool) {
	if *n*size >= len(items) {
		*n = 0
	}
	from := *n * size
	to := min(from+size, len(items))
	return items[from:to], to < len(items)
}

func (e *Engine) moreAndMenu(s *session, cs []Choice, more bool) []Choice {
	if more {
		cs = append(cs, Choice{ID: idMore, Label: e.text(s, "choice.more", nil)})
	}
	return append(cs, e.menuChoice(s))
}

func slotID(t time.Time) string { return prefixSlot + strconv.FormatInt(t.Unix(), 10) }

// confirmSlot asks whether to book (or move to) s.slot at s.office.
func (e *Engine) confirmSlot(s *session) Reply {
	o, ok := e.bookings.Program().Office(s.office)
	if !ok {
		return e.retry(s)
	}
	id := "book.confirm"
	if s.reschedule {
		id = "reschedule.confirm"
	}
	return e.confirm(s, stBookConfirm, e.text(s, id, map[string]any{
		"Office": o.Name(s.lang),
		"Date":   e.msgs.Date(s.lang, s.slot),
		"Time":   e.msgs.Time(s.lang, s.slot),
	}), "choice.yes", "choice.no")
}

// commit books or moves to the confirmed slot.
func (e *Engine) commit(s *session, in Inbound, now time.Time) Reply {
	var (
		a, prev scheduling.Appointment
		err     error
	)
	if s.reschedule {
		prev, err = e.bookings.Find(allIDs(in))
		if err == nil {
			a, err = e.bookings.Reschedule(allIDs(in), s.office, s.slot, s.party, now)
		}
	} else {
		a, err = e.bookings.Book(in.Identity, s.lang, s.office, s.slot, s.party, now)
	}
	switch {
	case errors.Is(err, scheduling.ErrSlotFull):
		return e.nearest(s, now)
	case errors.Is(err, scheduling.ErrNotBookable):
		s.page = 0
		return e.days(s, e.text(s, "book.gone", nil), now)
	case errors.Is(err, scheduling.ErrAlreadyBooked):
		a, err := e.bookings.Find(allIDs(in))
		if err != nil {
			return e.fail(s, err)
		}
		return e.showAppointment(s, e.text(s, "book.already", nil), a)
	case errors.Is(err, scheduling.ErrTooManyChanges):
		return e.onlyMenu(s, e.text(s, "book.limit", nil))
	case errors.Is(err, scheduling.ErrNotFound):
		return e.noAppointment(s, "")
	case err != nil:
		return e.fail(s, err)
	}
	head := "book.done"
	effect := Effect{Kind: Booked, Appointment: a}
	if s.reschedule {
		head = "reschedule.done"
		effect = Effect{Kind: Moved, Appointment: a, Previous: prev}
	}
	same := s.reschedule && prev.Office == a.Office && prev.Start.Equal(a.Start) && prev.People() == a.People()
	s.reschedule = false
	var r Reply
	// Ever more compact until it fits: the full date, then the short date,
	// then also what to bring on one line (long office names in a language
	// that needs UCS-2), and at last without what to bring, which "2" in
	// the main menu still tells.
	headText := e.text(s, head, map[string]any{"Code": a.Code})
	bring := e.text(s, "book.bring", nil)
	var reminder string
	if in.Reminders {
		booked := a
		s.booked = &booked
		reminder = "\n" + e.text(s, "book.reminder", nil)
	}
	desc := e.describe(s, a, false)
	for level := range 4 {
		if level == 1 {
			desc = e.describe(s, a, true) // the short date from here on
		}
		text := headText + "\n" + desc
		switch level {
		case 0, 1:
			text += "\n" + bring + "\n" + e.documentLines(s, false)
		case 2:
			text += "\n" + bring + " " + e.documentNames(s)
		}
		if in.Reminders {
			r = e.confirm(s, stReminder, text+reminder, "choice.yes", "choice.no")
		} else {
			r = e.onlyMenu(s, text)
		}
		if Segments(Render(r)) <= MaxSegments {
			break
		}
	}
	if !same {
		r.Effects = []Effect{effect}
	}
	return r
}

// nearest says the slot was just taken and offers the nearest free ones.
func (e *Engine) nearest(s *session, now time.Time) Reply {
	p := e.bookings.Program()
	slots, err := e.bookings.Nearest(s.office, s.slot, s.party, nearestSlots, now)
	if err != nil {
		return e.fail(s, err)
	}
	var cs []Choice
	for _, sl := range slots {
		t := sl.Start.In(p.Location)
		cs = append(cs, Choice{ID: slotID(t), Label: e.msgs.ShortDate(s.lang, t) + ", " + e.msgs.Time(s.lang, t)})
	}
	s.state = stBookTime
	s.page = 0
	return e.offer(s, e.text(s, "book.full", nil), append(cs, e.menuChoice(s)))
}

// describe is an appointment's date and time (short: compact date), office
// and address, and in a program that allows parties how many people.
func (e *Engine) describe(s *session, a scheduling.Appointment, short bool) string {
	p := e.bookings.Program()
	o, _ := p.Office(a.Office)
	t := a.Start.In(p.Location)
	date := e.msgs.Date(s.lang, t)
	if short {
		date = e.msgs.ShortDate(s.lang, t)
	}
	text := e.text(s, "appointment.show", map[string]any{
		"Date":    date,
		"Time":    e.msgs.Time(s.lang, t),
		"Office":  o.Name(s.lang),
		"Address": o.Address,
	})
	if e.maxParty() > 1 {
		text += "\n" + e.count(s, "appointment.people", a.People(), nil)
	}
	return text
}

// appointment shows the resident's appointment, or offers to book one.
func (e *Engine) appointment(s *session, in Inbound, prefix string) Reply {
	a, err := e.bookings.Find(allIDs(in))
	if errors.Is(err, scheduling.ErrNotFound) {
		return e.noAppointment(s, prefix)
	}
	if err != nil {
		return e.fail(s, err)
	}
	return e.showAppointment(s, prefix, a)
}

func (e *Engine) showAppointment(s *session, prefix string, a scheduling.Appointment) Reply {
	s.state = stAppointment
	cs := []Choice{e.menuChoice(s)}
	if a.Status == scheduling.StatusBooked {
		cs = []Choice{
			{ID: idReschedule, Label: e.text(s, "appointment.reschedule", nil)},
			{ID: idCancel, Label: e.text(s, "appointment.cancel", nil)},
			e.menuChoice(s),
		}
	}
	text := e.describe(s, a, false) + "\n" + e.text(s, "appointment.code", map[string]any{"Code": a.Code})
	return e.offer(s, join(prefix, text), cs)
}

func (e *Engine) noAppointment(s *session, prefix string) Reply {
	return e.bookOrMenu(s, join(prefix, e.text(s, "appointment.none", nil)))
}

// confirmCancel asks before cancelling.
func (e *Engine) confirmCancel(s *session, in Inbound) Reply {
	a, err := e.bookings.Find(allIDs(in))
	if errors.Is(err, scheduling.ErrNotFound) {
		return e.noAppointment(s, "")
	}
	if err != nil {
		return e.fail(s, err)
	}
	t := a.Start.In(e.loc())
	return e.confirm(s, stCancelConfirm, e.text(s, "cancel.confirm", map[string]any{
		"Date": e.msgs.Date(s.lang, t),
		"Time": e.msgs.Time(s.lang, t),
	}), "cancel.yes", "cancel.no")
}

func (e *Engine) cancel(s *session, in Inbound, now time.Time) Reply {
	a, err := e.bookings.Cancel(allIDs(in), now)
	if errors.Is(err, scheduling.ErrNotFound) {
		return e.noAppointment(s, "")
	}
	if err != nil {
		return e.fail(s, err)
	}
	r := e.mainMenu(s, e.text(s, "cancel.done", nil)+"\n"+e.text(s, "menu.prompt", nil))
	r.Effects = []Effect{{Kind: Cancelled, Appointment: a}}
	return r
}

// forget deletes the resident's appointment and this session, and says
// what was removed. The reply offers nothing: the next message starts anew.
func (e *Engine) forget(s *session, in Inbound, now time.Time) Reply {
	a, had, err := e.bookings.Forget(allIDs(in), now)
	if err != nil {
		return e.fail(s, fmt.Errorf("delete my data: %w", err))
	}
	text := e.text(s, "forget.done.none", nil)
	if had {
		text = e.text(s, "forget.done", map[string]any{"Code": a.Code})
	}
	e.drop(s)
	s.choices = nil
	return Reply{Text: text, Effects: []Effect{{Kind: Forgotten, Appointment: a}}}
}

// join puts a lead-in line before text.
func join(prefix, text string) string {
	if prefix == "" {
		return text
	}
	return strings.TrimRight(prefix, "\n") + "\n" + text
}
