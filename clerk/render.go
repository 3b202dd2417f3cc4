package clerk

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cita-city/cita/scheduling"
)

// pages names the page templates; each is parsed with layout.html.
var pageNames = []string{"login", "day", "walkin", "close", "capacity", "audit", "error", "lobbyadmin", "report"}

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"query": func(pairs ...string) template.URL {
			v := url.Values{}
			for i := 0; i+1 < len(pairs); i += 2 {
				if pairs[i+1] != "" {
					v.Set(pairs[i], pairs[i+1])
				}
			}
			return template.URL(v.Encode())
		},
		"mask":      Mask,
		"plural":    plural,
		"dateWords": dateWords,
	}
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("clerk: template %s: %w", name, err)
		}
		pages[name] = t
	}
	for _, name := range []string{"print", "lobby"} {
		t, err := template.New(name+".html").Funcs(funcs).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("clerk: template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// pageData is what every page template gets; Data is the page's own.
type pageData struct {
	Title   string
	Clerk   string // signed-in clerk, "" on the sign-in page
	Manager bool
	Flash   []flash
	Offices []officeOption
	Office  officeOption // the office the page is about
	Date    string       // the day the page is about, YYYY-MM-DD
	// DateWords is Date as every page shows a day: "Mon 30 Nov 2026".
	DateWords string
	Today     string
	// Languages are the program's, code and name, for help texts.
	Languages []languageOption
	Data      any
}

type officeOption struct {
	ID, Name string
	Selected bool
}

// render executes page into a buffer, then writes it with status: a
// template error never leaves half a page.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, page string, p *principal, d pageData) {
	if p != nil {
		d.Clerk, d.Manager = p.name, p.manager()
		if p.sess != nil {
			d.Flash = append(s.sessions.takeFlash(p.sess), d.Flash...)
		}
	}
	if d.Today == "" {
		d.Today = s.today().String()
	}
	d.Languages = languageOptions(s.Program.Languages)
	var buf bytes.Buffer
	if err := s.pages[page].Execute(&buf, d); err != nil {
		s.Log.Error("clerk render", "page", page, "err", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	buf.WriteTo(w)
}

func (s *server) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	p, _ := s.principal(w, r)
	s.render(w, r, status, "error", p, pageData{Title: http.StatusText(status), Data: msg})
}

// loc is the program's time zone; every date and time shown is in it.
func (s *server) loc() *time.Location { return s.Program.Location }

// dateWords is how every page writes a day: "Mon 30 Nov 2026". Forms and
// CSV keep YYYY-MM-DD.
func dateWords(d scheduling.Date) string { return d.In(time.UTC, 12, 0).Format("Mon 2 Jan 2006") }

func (s *server) today() scheduling.Date { return scheduling.DateOf(s.Now().In(s.loc())) }

// dayBounds returns the start of day and of the next day.
func (s *server) dayBounds(d scheduling.Date) (time.Time, time.Time) {
	return d.In(s.loc(), 0, 0), d.AddDays(1).In(s.loc(), 0, 0)
}

// officeName is an office's name in the program's first language.
func (s *server) officeName(id string) string {
	if o, ok := s.Program.Office(id); ok {
		return o.Name(s.Program.Languages[0])
	}
	return id
}

// pickOffice returns the office named by id if the program has it, else
// the session's last office, else the first.
func (s *server) pickOffice(id string, p *principal) (officeOption, []officeOption) {
	if _, ok := s.Program.Office(id); !ok {
		id = ""
		if p != nil && p.sess != nil {
			id = s.sessions.office(p.sess)
		}
		if _, ok := s.Program.Office(id); !ok {
			id = s.Program.Offices[0].ID
		}
	}
	if p != nil && p.sess != nil {
		s.sessions.setOffice(p.sess, id)
	}
	opts := make([]officeOption, len(s.Program.Offices))
	var cur officeOption
	for i, o := range s.Program.Offices {
		opts[i] = officeOption{ID: o.ID, Name: o.Name(s.Program.Languages[0]), Selected: o.ID == id}
		if o.ID == id {
			cur = opts[i]
		}
	}
	return cur, opts
}

// pickDate parses a YYYY-MM-DD date; empty or malformed means today (ok
// false for malformed).
func (s *server) pickDate(v string) (scheduling.Date, bool) {
	if v == "" {
		return s.today(), true
	}
	d, err := scheduling.ParseDate(v)
	if err != nil {
		return s.today(), false
	}
	return d, true
}

// dayURL is the day list of office on d.
func dayURL(office string, d scheduling.Date) string {
	return "/clerk/?" + url.Values{"date": {d.String()}, "office": {office}}.Encode()
}

// back redirects to the day list the form came from (its office and date
// fields), after an action.
func (s *server) back(w http.ResponseWriter, r *http.Request) {
	office := r.PostFormValue("office")
	if _, ok := s.Program.Office(office); !ok {
		office = s.Program.Offices[0].ID
	}
	d, _ := s.pickDate(r.PostFormValue("date"))
	http.Redirect(w, r, dayURL(office, d), http.StatusSeeOther)
}

func (s *server) flash(p *principal, text string) {
	s.sessions.addFlash(p.sess, flash{Text: text})
}

func (s *server) flashWarn(p *principal, text string) {
	s.sessions.addFlash(p.sess, flash{Warn: true, Text: text})
}

func (s *server) flashError(p *principal, text string) {
	s.sessions.addFlash(p.sess, flash{Error: true, Text: text})
}
