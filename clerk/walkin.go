package clerk

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cita-city/cita/scheduling"
)

type walkInData struct {
	Slots     []slotOption
	Languages []languageOption
	MaxParty  int // the program's max_party: more than 1 asks how many people
	Closed    bool
}

type slotOption struct {
	Unix int64
	Time string // 15:04
	ID   string // slot-1504, for labels and tests
	Free int
}

func (s *server) walkInPage(w http.ResponseWriter, r *http.Request, p *principal) {
	office, offices := s.pickOffice(r.URL.Query().Get("office"), p)
	day, _ := s.pickDate(r.URL.Query().Get("date"))
	if day.Before(s.today()) {
		day = s.today()
	}
	data := walkInData{Languages: languageOptions(s.Program.Languages), MaxParty: s.Program.MaxParty}
	closed, err := s.Closures.Closed(office.ID, day)
	if err != nil {
		s.internalError(w, r, "walk-in", err)
		return
	}
	if o, ok := s.Program.Office(office.ID); closed || s.Program.Closed(office.ID, day) || ok && len(s.Program.Slots(o, day)) == 0 {
		data.Closed = true
	} else {
		slots, err := s.Bookings.WalkInSlots(office.ID, day, s.Now())
		if err != nil {
			s.internalError(w, r, "free slots", err)
			return
		}
		for _, sl := range slots {
			t := sl.Start.In(s.loc())
			data.Slots = append(data.Slots, slotOption{Unix: t.Unix(), Time: t.Format("15:04"), ID: "slot-" + t.Format("1504"), Free: sl.Free})
		}
	}
	s.render(w, r, http.StatusOK, "walkin", p, pageData{Title: "Book a walk-in", Offices: offices, Office: office, Date: day.String(), DateWords: dateWords(day), Data: data})
}

// walkIn books a slot for a resident at the desk. With a phone number the
// booking is theirs (they can see, move or cancel it by SMS or Telegram);
// without one it belongs to a random identity nobody can ever find again,
// and only the code written down for them refers to it.
func (s *server) walkIn(w http.ResponseWriter, r *http.Request, p *principal) {
	office := r.PostFormValue("office")
	day, _ := s.pickDate(r.PostFormValue("date"))
	retry := "/clerk/walkin?" + url.Values{"office": {office}, "date": {day.String()}}.Encode()
	if _, ok := s.Program.Office(office); !ok {
		s.flashError(p, "Pick an office.")
		http.Redirect(w, r, "/clerk/walkin", http.StatusSeeOther)
		return
	}
	unix, err := strconv.ParseInt(r.PostFormValue("start"), 10, 64)
	if err != nil {
		s.flashError(p, "Pick a time.")
		http.Redirect(w, r, retry, http.StatusSeeOther)
		return
	}
	start := time.Unix(unix, 0).In(s.loc())
	if closed, err := s.Closures.Closed(office, scheduling.DateOf(start)); err != nil || closed {
		s.flashError(p, "The office is closed that day.")
		http.Redirect(w, r, retry, http.StatusSeeOther)
		return
	}
	lang := r.PostFormValue("lang")
	var ids []scheduling.Identity
	phone := r.PostFormValue("phone")
	if phone != "" {
		// Booking under a number looks the number up: whether it already
		// holds an appointment. Limited and audited like a check-in by
		// phone.
		if !s.allowLookup(p, office) {
			http.Redirect(w, r, retry, http.StatusSeeOther)
			return
		}
		var ok bool
		if ids, ok = s.phoneIdentities(p, phone); !ok {
			http.Redirect(w, r, retry, http.StatusSeeOther)
			return
		}
	} else {
		ids, err = s.anonymous()
		if err != nil {
			s.internalError(w, r, "walk-in", err)
			return
		}
	}
	// A walk-in may be a party (a parent with children): the "people"
	// field, 1 when absent.
	people := 1
	if v := r.PostFormValue("people"); v != "" {
		if people, err = strconv.Atoi(v); err != nil {
			people = 0 // refused below as ErrPartySize
		}
	}
	a, err := s.Bookings.BookWalkIn(ids[0], lang, office, start, people, s.Now())
	if phone != "" {
		// found: what the clerk learns, that the number has a booking.
		found := errors.Is(err, scheduling.ErrAlreadyBooked) || errors.Is(err, scheduling.ErrTooManyChanges)
		s.auditLookup(p, "walk-in-phone-lookup", office, found)
	}
	switch {
	case errors.Is(err, scheduling.ErrAlreadyBooked):
		// Not which, where or when: the resident at the desk knows, and
		// the page must not tell anyone else.
		s.flashError(p, "This person already holds an appointment. Ask for its confirmation code and use that.")
	case errors.Is(err, scheduling.ErrPartySize):
		s.flashError(p, fmt.Sprintf("A booking covers 1 to %d people.", max(s.Program.MaxParty, 1)))
	case errors.Is(err, scheduling.ErrSlotFull):
		s.flashError(p, "That time has not enough free seats for everyone; pick another.")
	case errors.Is(err, scheduling.ErrNotBookable):
		s.flashError(p, "That time cannot be booked any more; pick another.")
	case errors.Is(err, scheduling.ErrTooManyChanges):
		s.flashError(p, "That phone number has changed its booking too often today.")
	case err != nil:
		s.internalError(w, r, "walk-in", err)
		return
	default:
		s.audit(p, "walk-in", a.Code)
		if s.Counters != nil {
			if err := s.Counters.CountWalkIn(a.Office, scheduling.DateOf(a.Start.In(s.loc())), a.People()); err != nil {
				s.Log.Error("clerk count walk-in", "err", err)
			}
		}
		s.sessions.addFlash(p.sess, flash{
			Text: fmt.Sprintf("Walk-in booked for %s at %s. Write the code down for the resident:", dateWords(scheduling.DateOf(a.Start.In(s.loc()))), a.Start.In(s.loc()).Format("15:04")),
			Code: a.Code,
		})
		http.Redirect(w, r, dayURL(a.Office, scheduling.DateOf(a.Start.In(s.loc()))), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, retry, http.StatusSeeOther)
}

// anonymous returns the identities of a random address: a booking under
// them can be found by its code only.
func (s *server) anonymous() ([]scheduling.Identity, error) {
	b := make([]byte, 32)
	rand.Read(b)
	return s.IDs.Identities("walk-in:"+hex.EncodeToString(b), s.Now())
}
