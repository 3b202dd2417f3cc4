package clerk

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
)

// csvHeader matches `bot list --format csv`. Columns are a contract
// (docs/DESIGN.md, section 7): new ones go at the end or where the README
// says, never reordering the rest. people (the party size) follows status.
var csvHeader = []string{"date", "time", "office", "code", "language", "status", "people"}

// dayCSV writes the day's appointments, of one office or of all when office
// is empty, as `bot list --format csv` does.
func (s *server) dayCSV(w http.ResponseWriter, r *http.Request, p *principal) {
	q := r.URL.Query()
	office := q.Get("office")
	if office != "" {
		if _, ok := s.Program.Office(office); !ok {
			s.errorPage(w, r, http.StatusBadRequest, "There is no such office.")
			return
		}
	}
	day, ok := s.pickDate(q.Get("date"))
	if !ok {
		s.errorPage(w, r, http.StatusBadRequest, "The date must be YYYY-MM-DD.")
		return
	}
	from, to := s.dayBounds(day)
	appts, err := s.Store.Between(office, from, to)
	if err != nil {
		s.internalError(w, r, "export", err)
		return
	}
	name := "cita-" + day.String()
	if office != "" {
		name += "-" + office
	}
	s.audit(p, fmt.Sprintf("export-csv %s %s", orAll(office), day), "")
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.csv"`, name))
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	for _, a := range appts {
		t := a.Start.In(s.loc())
		cw.Write([]string{t.Format("2006-01-02"), t.Format("15:04"), a.Office, a.Code, a.Lang, a.Status.String(), strconv.Itoa(a.People())})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		s.Log.Error("clerk export", "err", err)
	}
}

func orAll(office string) string {
	if office == "" {
		return "all-offices"
	}
	return office
}

type printData struct {
	Office  string
	Date    string // in words
	Printed string // when the page was made, in words, and by whom
	Summary string
	Rows    []row
	Counts  map[string]int
	Closed  bool
}

// printPage is the day list for paper: one line per appointment.
func (s *server) printPage(w http.ResponseWriter, r *http.Request, p *principal) {
	office, _ := s.pickOffice(r.URL.Query().Get("office"), p)
	day, _ := s.pickDate(r.URL.Query().Get("date"))
	data, err := s.day(office.ID, day)
	if err != nil {
		s.internalError(w, r, "print", err)
		return
	}
	s.audit(p, fmt.Sprintf("print %s %s", office.ID, day), "")
	s.render(w, r, http.StatusOK, "print", nil, pageData{
		Title: "Day list", Office: office, Date: day.String(),
		Data: printData{Office: office.Name, Date: dateWords(day), Rows: data.Rows, Counts: data.Counts, Closed: data.Closed, Summary: data.Summary,
			Printed: dateWords(s.today()) + " at " + s.Now().In(s.loc()).Format("15:04") + " by " + p.name},
	})
}
