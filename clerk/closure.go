package clerk

import (
	"fmt"
	"net/http"

	"github.com/cita-city/cita/scheduling"
)

type closeData struct {
	Active  int  // appointments that closing would cancel
	Closed  bool // already closed by a manager
	Program bool // closed by the program file
}

func (s *server) closePage(w http.ResponseWriter, r *http.Request, p *principal) {
	office, offices := s.pickOffice(r.URL.Query().Get("office"), p)
	day, _ := s.pickDate(r.URL.Query().Get("date"))
	active, err := s.activeOn(office.ID, day)
	if err != nil {
		s.internalError(w, r, "close office", err)
		return
	}
	closed, err := s.Closures.Closed(office.ID, day)
	if err != nil {
		s.internalError(w, r, "close office", err)
		return
	}
	s.render(w, r, http.StatusOK, "close", p, pageData{
		Title: "Close an office for a day", Offices: offices, Office: office, Date: day.String(), DateWords: dateWords(day),
		Data: closeData{Active: len(active), Closed: closed, Program: s.Program.Closed(office.ID, day)},
	})
}

// activeOn returns the booked appointments of office on day: the ones a
// closure cancels. Checked-in residents were already served.
func (s *server) activeOn(office string, day scheduling.Date) ([]scheduling.Appointment, error) {
	from, to := s.dayBounds(day)
	appts, err := s.Store.Between(office, from, to)
	if err != nil {
		return nil, err
	}
	var out []scheduling.Appointment
	for _, a := range appts {
		if a.Status == scheduling.StatusBooked {
			out = append(out, a)
		}
	}
	return out, nil
}

// closeOffice closes an office for a day (a snow day): it records the
// closure, cancels the day's booked appointments, and has the Notifier tell
// those residents and cancel their reminders.
func (s *server) closeOffice(w http.ResponseWriter, r *http.Request, p *principal) {
	office := r.PostFormValue("office")
	day, ok := s.pickDate(r.PostFormValue("date"))
	if _, known := s.Program.Office(office); !known || !ok || r.PostFormValue("date") == "" {
		s.flashError(p, "Pick an office and a date to close.")
		http.Redirect(w, r, "/clerk/close", http.StatusSeeOther)
		return
	}
	if day.Before(s.today()) {
		s.flashError(p, "A day in the past cannot be closed.")
		http.Redirect(w, r, "/clerk/close", http.StatusSeeOther)
		return
	}
	if err := s.Closures.CloseOffice(office, day); err != nil {
		s.internalError(w, r, "close office", err)
		return
	}
	s.audit(p, fmt.Sprintf("close-office %s %s", office, day), "")
	active, err := s.activeOn(office, day)
	if err != nil {
		s.internalError(w, r, "close office", err)
		return
	}
	var cancelled []scheduling.Appointment
	for _, a := range active {
		c, err := s.Store.SetStatus(a.Code, scheduling.StatusCancelled)
		if err != nil {
			s.Log.Error("clerk close office: cancel", "err", err)
			continue
		}
		s.audit(p, "cancel:office-closed", a.Code)
		cancelled = append(cancelled, c)
	}
	msg := fmt.Sprintf("%s is closed on %s. %s cancelled.", s.officeName(office), dateWords(day),
		plural(len(cancelled), "appointment was", "appointments were"))
	told := 0
	if s.Notifier != nil && len(cancelled) > 0 {
		n, err := s.Notifier.NotifyClosed(r.Context(), office, day, cancelled)
		if err != nil {
			s.Log.Error("clerk close office: notify", "err", err)
		}
		told = n
	}
	if told > 0 {
		msg += fmt.Sprintf(" %s told by text message.", plural(told, "resident was", "residents were"))
	}
	s.flash(p, msg)
	// What still needs doing is a warning of its own.
	if n := len(active) - len(cancelled); n > 0 {
		s.flashWarn(p, fmt.Sprintf("%s not be cancelled: close the day again to retry.", plural(n, "appointment could", "appointments could")))
	}
	if untold := len(cancelled) - told; untold > 0 {
		s.flashWarn(p, fmt.Sprintf("%s not be told by text message: tell them at the door.", plural(untold, "resident could", "residents could")))
	}
	http.Redirect(w, r, dayURL(office, day), http.StatusSeeOther)
}

// reopenOffice undoes a manager's closure. Cancelled appointments stay
// cancelled: their residents were told, and their seats may be taken.
func (s *server) reopenOffice(w http.ResponseWriter, r *http.Request, p *principal) {
	office := r.PostFormValue("office")
	day, ok := s.pickDate(r.PostFormValue("date"))
	if _, known := s.Program.Office(office); !known || !ok {
		s.flashError(p, "Pick an office and a date to reopen.")
		http.Redirect(w, r, "/clerk/close", http.StatusSeeOther)
		return
	}
	if err := s.Closures.ReopenOffice(office, day); err != nil {
		s.internalError(w, r, "reopen office", err)
		return
	}
	s.audit(p, fmt.Sprintf("reopen-office %s %s", office, day), "")
	s.flash(p, fmt.Sprintf("%s is open again on %s. Appointments cancelled by the closure stay cancelled.", s.officeName(office), dateWords(day)))
	http.Redirect(w, r, dayURL(office, day), http.StatusSeeOther)
}
