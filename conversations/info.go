package conversations

import (
	"fmt"
	"strings"
	"time"

	"github.com/cita-city/cita/scheduling"
)

// askQuestion asks eligibility question s.question.
func (e *Engine) askQuestion(s *session) Reply {
	q := e.bookings.Program().Eligibility[s.question]
	return e.confirm(s, stQuestion, e.text(s, q.ID, nil), "choice.yes", "choice.no")
}

// answerQuestion moves to the next question, explains a "no", or after the
// last "yes" says what to bring and offers booking.
func (e *Engine) answerQuestion(s *session, yes bool) Reply {
	qs := e.bookings.Program().Eligibility
	if !yes {
		return e.onlyMenu(s, e.text(s, qs[s.question].No, nil))
	}
	s.question++
	if s.question < len(qs) {
		return e.askQuestion(s)
	}
	text := e.text(s, "eligibility.ok", nil) + "\n" + e.documentLines(s, false)
	return e.bookOrMenu(s, text)
}

// documents lists what to bring, with examples.
func (e *Engine) documents(s *session) Reply {
	return e.bookOrMenu(s, e.text(s, "documents.intro", nil)+"\n"+e.documentLines(s, true))
}

// documentLines lists the program's documents, one a line. "What to
// bring" is the question asked most, and its lines are the same for every
// resident of a language: they are worked out once (~18 µs of go-i18n
// templates a time, a tenth of an SMS webhook's CPU under load).
func (e *Engine) documentLines(s *session, examples bool) string {
	key := docsKey{s.lang, examples}
	if t, ok := e.docs.Load(key); ok {
		return t.(string)
	}
	complete := true
	text := func(id string, data map[string]any) string {
		t, exact := e.textExact(s, id, data)
		complete = complete && exact
		return t
	}
	var lines []string
	for _, d := range e.bookings.Program().Documents {
		data := map[string]any{"Name": text(d.ID, nil)}
		if examples {
			data["Examples"] = text(d.Examples, nil)
			lines = append(lines, text("documents.item", data))
		} else {
			lines = append(lines, text("documents.line", data))
		}
	}
	out := strings.Join(lines, "\n")
	if complete {
		e.docs.Store(key, out)
	}
	return out
}

type docsKey struct {
	lang     string
	examples bool
}

// documentNames lists the program's document categories on one line.
func (e *Engine) documentNames(s *session) string {
	var names []string
	for _, d := range e.bookings.Program().Documents {
		names = append(names, e.text(s, d.ID, nil))
	}
	return strings.Join(names, ", ")
}

// bookOrMenu replies text offering to book or go back to the menu.
func (e *Engine) bookOrMenu(s *session, text string) Reply {
	s.state = stMenu
	return e.offer(s, text, []Choice{
		{ID: idBook, Label: e.text(s, "choice.book", nil)},
		e.menuChoice(s),
	})
}

// offices lists the offices for their hours.
func (e *Engine) offices(s *session) Reply {
	s.state = stOffices
	return e.offer(s, e.text(s, "offices.prompt", nil), e.officeChoices(s, prefixOffice))
}

func (e *Engine) officeChoices(s *session, prefix string) []Choice {
	var cs []Choice
	for _, o := range e.bookings.Program().Offices {
		cs = append(cs, Choice{ID: prefix + o.ID, Label: o.Name(s.lang)})
	}
	return append(cs, e.menuChoice(s))
}

// closureDays is how far ahead office info warns of closures.
const closureDays = 14

// officeInfo shows s.office: name, address, weekly hours, closures soon.
func (e *Engine) officeInfo(s *session, now time.Time) Reply {
	p := e.bookings.Program()
	o, ok := p.Office(s.office)
	if !ok {
		return e.retry(s)
	}
	lines := []string{o.Name(s.lang), o.Address}
	lines = append(lines, e.hours(s, o)...)
	today := scheduling.DateOf(now.In(p.Location))
	for d := today; d.Before(today.AddDays(closureDays)); d = d.AddDays(1) {
		c, closed := p.Closure(o.ID, d)
		if !closed || len(o.Hours[d.Weekday()]) == 0 {
			continue
		}
		data := map[string]any{"Date": e.msgs.ShortDate(s.lang, d.In(p.Location, 12, 0))}
		if c.Reason == "" {
			lines = append(lines, e.text(s, "office.closed.noreason", data))
		} else {
			data["Reason"] = e.text(s, c.Reason, nil)
			lines = append(lines, e.text(s, "office.closed", data))
		}
	}
	s.state = stOffice
	return e.offer(s, strings.Join(lines, "\n"), []Choice{
		{ID: prefixBookAt + o.ID, Label: e.text(s, "office.book", nil)},
		{ID: idOffices, Label: e.text(s, "office.others", nil)},
		e.menuChoice(s),
	})
}

// weekOrder lists weekdays from Monday, as offices post their hours.
var weekOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// hours returns o's weekly hours compactly, one line per run of days with
// the same hours: "Mon-Fri 9:00 AM-5:00 PM".
func (e *Engine) hours(s *session, o scheduling.Office) []string {
	loc := e.loc()
	ref := scheduling.Date{Year: 2026, Month: time.January, Day: 1} // any day: only the clock is shown
	spans := func(wd time.Weekday) string {
		var parts []string
		for _, sp := range o.Hours[wd] {
			from := ref.In(loc, sp.Start/60, sp.Start%60)
			to := ref.In(loc, sp.End/60, sp.End%60)
			parts = append(parts, e.msgs.Time(s.lang, from)+"-"+e.msgs.Time(s.lang, to))
		}
		return strings.Join(parts, ", ")
	}
	dayName := func(wd time.Weekday) string { return e.text(s, fmt.Sprintf("weekday.short.%d", wd), nil) }
	// Group days with the same hours, consecutive or not, in week order:
	// "Mon, Wed 10:00 AM-1:00 PM" and "Tue-Thu ..." both read well.
	var order []string
	groups := map[string][]int{} // times -> indexes in weekOrder
	for i, wd := range weekOrder {
		t := spans(wd)
		if t == "" {
			continue
		}
		if _, ok := groups[t]; !ok {
			order = append(order, t)
		}
		groups[t] = append(groups[t], i)
	}
	var lines []string
	for _, times := range order {
		idx := groups[times]
		var days []string
		for k := 0; k < len(idx); {
			j := k
			for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
				j++
			}
			d := dayName(weekOrder[idx[k]])
			if j-k >= 2 {
				d += "-" + dayName(weekOrder[idx[j]])
			} else if j == k+1 {
				d += ", " + dayName(weekOrder[idx[j]])
			}
			days = append(days, d)
			k = j + 1
		}
		lines = append(lines, e.text(s, "office.hours", map[string]any{"Days": strings.Join(days, ", "), "Times": times}))
	}
	return lines
}
