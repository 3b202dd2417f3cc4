package clerk

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/scheduling"
)

// row is one appointment as the day list shows it: P1 fields only, and
// the queue state this process holds in memory.
type row struct {
	Time, Code, Lang, Status, Queue string
	Booked, CheckedIn, NoShow       bool
	CanUndo, CanNoShow, Started     bool
	// Due: booked, and its slot is running now. NowBefore: the line for
	// the current time goes just above this row.
	Due, NowBefore bool
	// Party is how many people the booking covers; People says it for the
	// list ("3", or "2 of 3" once a party checked in with some missing).
	Party  int
	People string
}

type dayData struct {
	Rows       []row
	Counts     map[string]int
	Summary    string // "12 appointments · 3 booked · ..."
	Closed     bool   // the office is closed this day (program file or manager)
	ClosedByUs bool   // closed by a manager, so it can be reopened
	IsToday    bool
	Now        string // 15:04, today only
	NowAtEnd   bool   // every row is before now: the line goes last
	Reasons    []reason
	RowsHTML   template.HTML // Rows as table rows; see rowsHTML
	Queue      queueView
	Desk       string // the desk this clerk last called to
}

// reason is why an appointment was cancelled: a fixed list, so no free
// text is ever stored. Key goes into the audit log.
type reason struct{ Key, Label string }

var cancelReasons = []reason{
	{"resident-asked", "Resident asked to cancel"},
	{"wrong-booking", "Booked by mistake"},
	{"duplicate", "Duplicate booking"},
	{"not-eligible", "Not eligible for the ID"},
}

func (s *server) dayPage(w http.ResponseWriter, r *http.Request, p *principal) {
	office, offices := s.pickOffice(r.URL.Query().Get("office"), p)
	day, ok := s.pickDate(r.URL.Query().Get("date"))
	d := pageData{Title: "Day list", Offices: offices, Office: office, Date: day.String(), DateWords: dateWords(day)}
	if !ok {
		d.Flash = append(d.Flash, flash{Error: true, Text: "That date was not understood; showing today."})
	}
	data, err := s.day(office.ID, day)
	if err != nil {
		s.internalError(w, r, "day list", err)
		return
	}
	data.Desk = s.queue.desk(p.name)
	data.RowsHTML = rowsHTML(office.ID, d.Date, &data)
	d.Data = data
	s.render(w, r, http.StatusOK, "day", p, d)
}

func (s *server) day(office string, day scheduling.Date) (dayData, error) {
	from, to := s.dayBounds(day)
	appts, err := s.Store.Between(office, from, to)
	if err != nil {
		return dayData{}, err
	}
	closed, err := s.Closures.Closed(office, day)
	if err != nil {
		return dayData{}, err
	}
	now := s.Now()
	today := day == s.today()
	slot := 15 * time.Minute
	noHours := false
	if o, ok := s.Program.Office(office); ok {
		if o.SlotMinutes > 0 {
			slot = time.Duration(o.SlotMinutes) * time.Minute
		}
		// A day without hours (a weekend) is closed too, not "0 of 0".
		noHours = len(s.Program.Slots(o, day)) == 0
	}
	data := dayData{
		Counts:     map[string]int{},
		Closed:     closed || s.Program.Closed(office, day) || noHours,
		ClosedByUs: closed,
		IsToday:    today,
		Reasons:    cancelReasons,
	}
	var checkedIn []scheduling.Appointment
	for _, a := range appts {
		if a.Status == scheduling.StatusCheckedIn {
			checkedIn = append(checkedIn, a)
		}
	}
	var states map[string]string
	if today {
		data.Now = now.In(s.loc()).Format("15:04")
		s.queue.adopt(office, checkedIn, s.today())
		data.Queue = s.queue.view(office, now, s.today(), s.loc())
		states = map[string]string{}
		for _, l := range data.Queue.Waiting {
			states[l.Code] = "waiting"
		}
		for _, l := range data.Queue.Called {
			states[l.Code] = "called to desk " + l.Desk
		}
	}
	nowPlaced := !today
	for _, a := range appts {
		st := a.Status
		data.Counts[st.String()]++
		rw := row{
			Time:      a.Start.In(s.loc()).Format("15:04"),
			Code:      a.Code,
			Lang:      LanguageName(a.Lang),
			Status:    st.String(),
			Booked:    st == scheduling.StatusBooked,
			CheckedIn: st == scheduling.StatusCheckedIn,
			NoShow:    st == scheduling.StatusNoShow,
			CanUndo:   today && (st == scheduling.StatusCheckedIn || st == scheduling.StatusNoShow),
			CanNoShow: today && st == scheduling.StatusBooked && !a.Start.After(now),
			Started:   !a.Start.After(now),
			Due:       today && st == scheduling.StatusBooked && !a.Start.After(now) && now.Before(a.Start.Add(slot)),
			Party:     a.People(),
			People:    peopleLabel(a),
		}
		if today && st == scheduling.StatusCheckedIn {
			rw.Queue = states[a.Code]
			if rw.Queue == "" {
				rw.Queue = "served"
			}
		}
		if !nowPlaced && a.Start.After(now) {
			rw.NowBefore, nowPlaced = true, true
		}
		data.Rows = append(data.Rows, rw)
	}
	data.NowAtEnd = !nowPlaced && len(data.Rows) > 0
	data.Summary = summary(len(appts), data.Counts)
	return data, nil
}

// summary is "12 appointments · 3 booked · 9 checked-in", plural right.
func summary(n int, counts map[string]int) string {
	out := plural(n, "appointment", "appointments")
	for _, st := range []scheduling.Status{scheduling.StatusBooked, scheduling.StatusCheckedIn, scheduling.StatusNoShow, scheduling.StatusCancelled} {
		if c := counts[st.String()]; c > 0 {
			out += fmt.Sprintf(" · %d %s", c, st)
		}
	}
	return out
}

// peopleLabel is the party size for the day list and the print view:
// "3", or "2 of 3" when only some of a party checked in.
func peopleLabel(a scheduling.Appointment) string {
	if a.Status == scheduling.StatusCheckedIn && a.Arrived > 0 && a.Arrived < a.People() {
		return fmt.Sprintf("%d of %d", a.Arrived, a.People())
	}
	return strconv.Itoa(a.People())
}

// describe names an appointment for a message: P1 fields only.
func (s *server) describe(a scheduling.Appointment) string {
	t := a.Start.In(s.loc())
	return fmt.Sprintf("%s, %s %s, %s", a.Code, dateWords(scheduling.DateOf(t)), t.Format("15:04"), s.officeName(a.Office))
}

// checkIn checks a in at office today, or says why not. A party is
// checked in once: came is how many of it came (0 or the party size: all).
func (s *server) checkIn(p *principal, a scheduling.Appointment, office, how string, came int) {
	switch {
	case a.Office != office || scheduling.DateOf(a.Start.In(s.loc())) != s.today():
		s.flashError(p, "Not checked in: the appointment is "+s.describe(a)+".")
		return
	case a.Status == scheduling.StatusCheckedIn:
		s.flashWarn(p, a.Code+" is already checked in.")
		return
	case a.Status != scheduling.StatusBooked:
		s.flashError(p, fmt.Sprintf("Not checked in: %s is %s.", a.Code, a.Status))
		return
	}
	if came < 0 || came > a.People() {
		s.flashError(p, fmt.Sprintf("Not checked in: %s is booked for %d; between 1 and %d can come.", a.Code, a.People(), a.People()))
		return
	}
	var err error
	if came > 0 && came < a.People() {
		_, err = s.Store.CheckIn(a.Code, came)
	} else {
		came = a.People()
		_, err = s.Store.SetStatus(a.Code, scheduling.StatusCheckedIn)
	}
	if err != nil {
		s.Log.Error("clerk check-in", "err", err)
		s.flashError(p, "Check-in failed; try again.")
		return
	}
	s.audit(p, how, a.Code)
	s.queue.arrive(office, a.Code, a.Start, s.Now(), s.today())
	party := ""
	if a.People() > 1 {
		party = fmt.Sprintf(", %d of %d people", came, a.People())
	}
	s.flash(p, fmt.Sprintf("Checked in %s (%s, %s%s). Waiting to be called.", a.Code, a.Start.In(s.loc()).Format("15:04"), LanguageName(a.Lang), party))
}

func (s *server) checkInByCode(w http.ResponseWriter, r *http.Request, p *principal) {
	defer s.back(w, r)
	code := scheduling.NormalizeCode(r.PostFormValue("code"))
	if !scheduling.ValidCode(code) {
		s.flashError(p, "That is not a confirmation code: codes have 6 letters and digits.")
		return
	}
	a, err := s.Store.ByCode(code)
	if errors.Is(err, scheduling.ErrNotFound) {
		s.flashError(p, "No appointment has the code "+code+".")
		return
	} else if err != nil {
		s.Log.Error("clerk check-in by code", "err", err)
		s.flashError(p, "The lookup failed; try again.")
		return
	}
	came := 0 // the whole party, unless the row's count says fewer
	if v := r.PostFormValue("came"); v != "" {
		if came, err = strconv.Atoi(v); err != nil || came < 1 {
			came = -1 // refused by checkIn
		}
	}
	s.checkIn(p, a, r.PostFormValue("office"), "check-in", came)
}

// checkInByPhone checks in the resident whose phone number is typed, if
// they have an appointment at this counter (the office of the form) today.
// It answers nothing about appointments elsewhere or on other days: the
// look-up is for checking in here, not for finding out who booked what.
// The number is normalized, hashed and dropped (P3): it is not stored,
// logged, echoed on the page or put in an error. Look-ups are limited per
// clerk and each one is in the audit log (see lookup.go).
func (s *server) checkInByPhone(w http.ResponseWriter, r *http.Request, p *principal) {
	defer s.back(w, r)
	office := r.PostFormValue("office")
	if _, ok := s.Program.Office(office); !ok {
		s.flashError(p, "Pick an office.")
		return
	}
	if !s.allowLookup(p, office) {
		return
	}
	ids, ok := s.phoneIdentities(p, r.PostFormValue("phone"))
	if !ok {
		return
	}
	a, err := s.Store.Find(ids...)
	if err != nil && !errors.Is(err, scheduling.ErrNotFound) {
		s.Log.Error("clerk check-in by phone", "err", err)
		s.flashError(p, "The lookup failed; try again.")
		return
	}
	here := err == nil && a.Office == office && scheduling.DateOf(a.Start.In(s.loc())) == s.today()
	s.auditLookup(p, "phone-lookup", office, here)
	if !here {
		s.flashError(p, "This counter has no appointment for that phone number today. Ask for the confirmation code.")
		return
	}
	s.checkIn(p, a, office, "check-in-by-phone", 0) // by phone: the whole party
}

// phoneIdentities hashes a typed phone number; on failure it tells the
// clerk why without repeating the number.
func (s *server) phoneIdentities(p *principal, phone string) ([]scheduling.Identity, bool) {
	addr, err := identity.NormalizePhone(phone, s.Program.Region)
	if err != nil {
		s.flashError(p, "That is not a phone number that can receive texts here. Check the digits.")
		return nil, false
	}
	ids, err := s.IDs.Identities(addr, s.Now())
	if err != nil {
		s.Log.Error("clerk hash phone", "err", err)
		s.flashError(p, "The lookup failed; try again.")
		return nil, false
	}
	return ids, true
}

// appointmentToday returns the appointment of the posted code if it is
// today's: undo and no-show work only within the day.
func (s *server) appointmentToday(p *principal, r *http.Request) (scheduling.Appointment, bool) {
	code := scheduling.NormalizeCode(r.PostFormValue("code"))
	a, err := s.Store.ByCode(code)
	if err != nil || !scheduling.ValidCode(code) {
		s.flashError(p, "No appointment has that code.")
		return a, false
	}
	if scheduling.DateOf(a.Start.In(s.loc())) != s.today() {
		s.flashError(p, "Only today's appointments can be changed this way.")
		return a, false
	}
	return a, true
}

func (s *server) noShow(w http.ResponseWriter, r *http.Request, p *principal) {
	defer s.back(w, r)
	a, ok := s.appointmentToday(p, r)
	if !ok {
		return
	}
	if a.Status != scheduling.StatusBooked || a.Start.After(s.Now()) {
		s.flashError(p, "Only a booked appointment whose time has come can be marked as a no-show.")
		return
	}
	if _, err := s.Store.SetStatus(a.Code, scheduling.StatusNoShow); err != nil {
		s.Log.Error("clerk no-show", "err", err)
		s.flashError(p, "Marking the no-show failed; try again.")
		return
	}
	s.audit(p, "no-show", a.Code)
	s.flash(p, a.Code+" marked as a no-show.")
}

func (s *server) undo(w http.ResponseWriter, r *http.Request, p *principal) {
	defer s.back(w, r)
	a, ok := s.appointmentToday(p, r)
	if !ok {
		return
	}
	if a.Status != scheduling.StatusCheckedIn && a.Status != scheduling.StatusNoShow {
		s.flashError(p, "Only a check-in or a no-show can be undone.")
		return
	}
	if _, err := s.Store.SetStatus(a.Code, scheduling.StatusBooked); err != nil {
		s.Log.Error("clerk undo", "from", a.Status.String(), "err", err)
		s.flashError(p, fmt.Sprintf("Could not undo the %s of %s: the resident may have booked again since. Book a walk-in instead.", a.Status, a.Code))
		return
	}
	s.audit(p, "undo-"+a.Status.String(), a.Code)
	s.queue.leave(a.Office, a.Code, s.today())
	s.flash(p, fmt.Sprintf("Undone: %s is booked again.", a.Code))
}

func (s *server) cancel(w http.ResponseWriter, r *http.Request, p *principal) {
	defer s.back(w, r)
	code := scheduling.NormalizeCode(r.PostFormValue("code"))
	key := r.PostFormValue("reason")
	if !slices.ContainsFunc(cancelReasons, func(c reason) bool { return c.Key == key }) {
		s.flashError(p, "Pick a reason from the list to cancel.")
		return
	}
	a, err := s.Store.ByCode(code)
	if err != nil || !scheduling.ValidCode(code) {
		s.flashError(p, "No appointment has that code.")
		return
	}
	if a.Status != scheduling.StatusBooked {
		s.flashError(p, fmt.Sprintf("Only a booked appointment can be cancelled; %s is %s.", a.Code, a.Status))
		return
	}
	if _, err := s.Store.SetStatus(a.Code, scheduling.StatusCancelled); err != nil {
		s.Log.Error("clerk cancel", "err", err)
		s.flashError(p, "Cancelling failed; try again.")
		return
	}
	s.audit(p, "cancel:"+key, a.Code)
	s.flash(p, "Cancelled "+s.describe(a)+".")
}
