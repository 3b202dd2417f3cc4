package clerk

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/cita-city/cita/scheduling"
)

// DayCount is what close-day keeps of one office's day: anonymous counts
// (cmd/bot turns storage's counters into these).
type DayCount struct {
	Office string
	Day    scheduling.Date
	// Booked counts every appointment the day held when it closed;
	// Arrived, NoShow and Cancelled split it. WalkIns are the walk-ins
	// clerks booked, among Booked.
	Booked, Arrived, NoShow, Cancelled, WalkIns int
	ByLang                                      map[string]int
}

// Counters are the anonymous counters (storage.Store has them, through
// cmd/bot): read for the managers' report, and a walk-in counted when a
// clerk books one.
type Counters interface {
	DayCounts() ([]DayCount, error)
	CountWalkIn(office string, day scheduling.Date, people int) error
}

// MinCell is the smallest count a report shows: below it a cell says
// "<5", so that no count can point at one resident or a few.
const MinCell = 5

// Mask writes a count on its own: n, or "<5" for 1 to 4. Zero is shown:
// it tells nothing about anybody. In the report, cells go through
// suppress, which may hide more.
func Mask(n int) string {
	if small(n) {
		return fmt.Sprintf("<%d", MinCell)
	}
	return strconv.Itoa(n)
}

func small(n int) bool { return n > 0 && n < MinCell }

// cellText is a report cell as shown: hidden cells say "<5" when they
// are below 5 and "masked" when they were hidden only so that a small
// cell next to them cannot be worked out.
func cellText(n int, hidden bool) string {
	switch {
	case !hidden:
		return strconv.Itoa(n)
	case n < MinCell:
		return fmt.Sprintf("<%d", MinCell)
	}
	return "masked"
}

// Measures are the report's counts for one cell of office and time.
type Measures struct {
	Booked, Arrived, NoShow, Cancelled, WalkIns int
	// Served: people served. Each appointment is one person, so it is
	// Arrived until appointments carry a party size.
	Served int
	// Cells are the counts as shown, in measureNames order, after
	// suppression (see suppress).
	Cells [6]string
}

func (m *Measures) add(c DayCount) {
	m.Booked += c.Booked
	m.Arrived += c.Arrived
	m.NoShow += c.NoShow
	m.Cancelled += c.Cancelled
	m.WalkIns += c.WalkIns
	m.Served += c.Arrived
}

// measureNames name Measures in order, as the CSV and text say them.
var measureNames = []string{"booked", "arrived", "no-show", "cancelled", "walk-ins", "people-served"}

// Values are the counts in measureNames order, unmasked.
func (m *Measures) Values() []int {
	return []int{m.Booked, m.Arrived, m.NoShow, m.Cancelled, m.WalkIns, m.Served}
}

// partSums are, for each measure, total's value and then each part's.
func partSums(total *Measures, parts []*Measures) [][]*int {
	var sums [][]*int
	for k, t := range total.ptrs() {
		sum := []*int{t}
		for _, p := range parts {
			sum = append(sum, p.ptrs()[k])
		}
		sums = append(sums, sum)
	}
	return sums
}

// languageSums are each language's count with its counts in every part
// (a part may lack the language), and then total with every language's
// count: the sums the language cells of one level take part in.
func languageSums(total *int, langs []LangShare, parts [][]LangShare) [][]*int {
	var sums [][]*int
	all := []*int{total}
	for j := range langs {
		l := &langs[j]
		all = append(all, &l.Count)
		byPart := []*int{&l.Count}
		for _, part := range parts {
			for k := range part {
				if part[k].Code == l.Code {
					byPart = append(byPart, &part[k].Count)
				}
			}
		}
		sums = append(sums, byPart)
	}
	return append(sums, all)
}

func (m *Measures) ptrs() []*int {
	return []*int{&m.Booked, &m.Arrived, &m.NoShow, &m.Cancelled, &m.WalkIns, &m.Served}
}

// Report is the managers' report over whole months.
type Report struct {
	From, To  scheduling.Date // first and last day covered
	Offices   []OfficeReport
	Total     Measures
	Languages []LangShare // all offices
}

// OfficeReport is one office's weeks.
type OfficeReport struct {
	ID, Name  string
	Weeks     []WeekRow
	Total     Measures
	Languages []LangShare
}

// WeekRow is one ISO week (Monday to Sunday) of an office, within the
// report's months.
type WeekRow struct {
	Week  string // 2026-W49
	Start scheduling.Date
	Measures
	Languages []LangShare // the week's appointments by language
	langs     map[string]int
}

// LangShare is a language's appointments and their share of all.
type LangShare struct {
	Code, Name string
	Count      int
	Percent    int // rounded
	// Shown and Share are Count and Percent as shown: a suppressed count
	// has its share suppressed too (with the total it gives the count).
	Shown, Share string
}

// ParseMonth reads YYYY-MM as the first day of that month.
func ParseMonth(s string) (scheduling.Date, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return scheduling.Date{}, fmt.Errorf("%q is not a month: want YYYY-MM", s)
	}
	return scheduling.DateOf(t), nil
}

// monthEnd is the last day of d's month.
func monthEnd(d scheduling.Date) scheduling.Date {
	t := d.In(time.UTC, 12, 0)
	first := time.Date(t.Year(), t.Month(), 1, 12, 0, 0, 0, time.UTC)
	return scheduling.DateOf(first.AddDate(0, 1, -1))
}

// ErrMonths: the report's months are out of order.
var ErrMonths = errors.New("the first month is after the last")

// BuildReport sums counts over the months from fromMonth to toMonth (both
// first days of a month), by office (in the program's order), ISO week
// and language.
func BuildReport(p *scheduling.Program, counts []DayCount, fromMonth, toMonth scheduling.Date) (Report, error) {
	if toMonth.Before(fromMonth) {
		return Report{}, ErrMonths
	}
	r := Report{From: fromMonth, To: monthEnd(toMonth)}
	all := map[string]int{}
	byOffice := map[string][]DayCount{}
	for _, c := range counts {
		if c.Day.Before(r.From) || r.To.Before(c.Day) {
			continue
		}
		byOffice[c.Office] = append(byOffice[c.Office], c)
	}
	ids := []string{}
	names := map[string]string{}
	for _, o := range p.Offices {
		ids = append(ids, o.ID)
		names[o.ID] = o.Name(p.Languages[0])
	}
	// Offices no longer in the program file still have counts.
	for _, id := range slices.Sorted(maps.Keys(byOffice)) {
		if _, ok := names[id]; !ok {
			ids = append(ids, id)
			names[id] = id
		}
	}
	for _, id := range ids {
		or := OfficeReport{ID: id, Name: names[id]}
		langs := map[string]int{}
		weeks := map[string]*WeekRow{}
		for _, c := range byOffice[id] {
			t := c.Day.In(time.UTC, 12, 0)
			y, w := t.ISOWeek()
			key := fmt.Sprintf("%d-W%02d", y, w)
			wr := weeks[key]
			if wr == nil {
				monday := scheduling.DateOf(t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7)))
				wr = &WeekRow{Week: key, Start: monday, langs: map[string]int{}}
				weeks[key] = wr
			}
			wr.add(c)
			or.Total.add(c)
			r.Total.add(c)
			for l, n := range c.ByLang {
				langs[l] += n
				all[l] += n
				wr.langs[l] += n
			}
		}
		for _, k := range slices.Sorted(maps.Keys(weeks)) {
			wr := weeks[k]
			wr.Languages = shares(wr.langs)
			or.Weeks = append(or.Weeks, *wr)
		}
		or.Languages = shares(langs)
		r.Offices = append(r.Offices, or)
	}
	r.Languages = shares(all)
	r.suppress()
	return r, nil
}

// suppress decides which cells to hide. Every count from 1 to 4 is hidden
// (primary suppression). Then, since the report shows totals, a hidden
// cell could be worked out from its total and the other cells (booked =
// arrived + no-show + cancelled; an office's weeks add up to its total;
// offices to all offices; languages to booked, a week's languages to the
// week's booked, a language's weeks to its office total, its offices to
// all offices): whenever one of those sums has exactly one hidden cell,
// one more is hidden, the smallest (secondary suppression), until no sum
// has a single hidden cell.
func (r *Report) suppress() {
	var sums [][]*int // each: the total, then its parts
	measures := func(m *Measures) { sums = append(sums, []*int{&m.Booked, &m.Arrived, &m.NoShow, &m.Cancelled}) }
	measures(&r.Total)
	offices := make([]*Measures, len(r.Offices))
	officeLangs := make([][]LangShare, len(r.Offices))
	for i := range r.Offices {
		o := &r.Offices[i]
		offices[i], officeLangs[i] = &o.Total, o.Languages
		measures(&o.Total)
		weeks := make([]*Measures, len(o.Weeks))
		weekLangs := make([][]LangShare, len(o.Weeks))
		for j := range o.Weeks {
			weeks[j], weekLangs[j] = &o.Weeks[j].Measures, o.Weeks[j].Languages
			measures(weeks[j])
		}
		sums = append(sums, partSums(&o.Total, weeks)...)
		sums = append(sums, languageSums(&o.Total.Booked, o.Languages, weekLangs)...)
		for w := range o.Weeks {
			wk := &o.Weeks[w]
			sum := []*int{&wk.Booked}
			for k := range wk.Languages {
				sum = append(sum, &wk.Languages[k].Count)
			}
			sums = append(sums, sum)
		}
	}
	sums = append(sums, partSums(&r.Total, offices)...)
	sums = append(sums, languageSums(&r.Total.Booked, r.Languages, officeLangs)...)

	hidden := map[*int]bool{}
	for _, sum := range sums {
		for _, c := range sum {
			if small(*c) {
				hidden[c] = true
			}
		}
	}
	// Served is Arrived (one person an appointment): hidden together.
	served := func(m *Measures) {
		if hidden[&m.Arrived] || hidden[&m.Served] {
			hidden[&m.Arrived], hidden[&m.Served] = true, true
		}
	}
	for changed := true; changed; {
		changed = false
		for _, sum := range sums {
			n := 0
			for _, c := range sum {
				if hidden[c] {
					n++
				}
			}
			if n != 1 || len(sum) < 2 {
				continue
			}
			var pick *int
			for _, c := range sum[1:] {
				if !hidden[c] && (pick == nil || *c < *pick) {
					pick = c
				}
			}
			if pick == nil {
				pick = sum[0]
			}
			hidden[pick], changed = true, true
		}
		before := len(hidden)
		served(&r.Total)
		for i := range r.Offices {
			served(&r.Offices[i].Total)
			for j := range r.Offices[i].Weeks {
				served(&r.Offices[i].Weeks[j].Measures)
			}
		}
		changed = changed || len(hidden) != before
	}

	cells := func(m *Measures) {
		for k, c := range m.ptrs() {
			m.Cells[k] = cellText(*c, hidden[c])
		}
	}
	langs := func(ls []LangShare) {
		for j := range ls {
			l := &ls[j]
			l.Shown, l.Share = cellText(l.Count, hidden[&l.Count]), strconv.Itoa(l.Percent)+"%"
			if hidden[&l.Count] {
				l.Share = "masked"
			}
		}
	}
	cells(&r.Total)
	langs(r.Languages)
	for i := range r.Offices {
		o := &r.Offices[i]
		cells(&o.Total)
		langs(o.Languages)
		for j := range o.Weeks {
			cells(&o.Weeks[j].Measures)
			langs(o.Weeks[j].Languages)
		}
	}
}

// shares lists languages by count, largest first.
func shares(m map[string]int) []LangShare {
	total := 0
	for _, n := range m {
		total += n
	}
	var out []LangShare
	for l, n := range m {
		pc := 0
		if total > 0 {
			pc = (n*100 + total/2) / total
		}
		out = append(out, LangShare{Code: l, Name: LanguageName(l), Count: n, Percent: pc})
	}
	slices.SortFunc(out, func(a, b LangShare) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return cmp.Compare(a.Code, b.Code)
	})
	return out
}

// WriteCSV writes the report in long form, one count a line, every count
// masked: office, week, language, measure, value. "all" in office, week
// or language is the total over it.
func (r Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"office", "week", "language", "measure", "value"})
	measures := func(office, week string, m Measures) {
		for i, v := range m.Cells {
			cw.Write([]string{office, week, "all", measureNames[i], v})
		}
	}
	langs := func(office string, ls []LangShare) {
		for _, l := range ls {
			cw.Write([]string{office, "all", l.Code, "booked", l.Shown})
			cw.Write([]string{office, "all", l.Code, "share", l.Share})
		}
	}
	for _, o := range r.Offices {
		for _, wk := range o.Weeks {
			measures(o.ID, wk.Week, wk.Measures)
			for _, l := range wk.Languages {
				cw.Write([]string{o.ID, wk.Week, l.Code, "booked", l.Shown})
			}
		}
		measures(o.ID, "all", o.Total)
		langs(o.ID, o.Languages)
	}
	measures("all", "all", r.Total)
	langs("all", r.Languages)
	cw.Flush()
	return cw.Error()
}

// WriteText writes the report as tables for a terminal.
func (r Report) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "cita report, %s to %s (closed days only; counts from 1 to %d shown as <%d; \"masked\": hidden so that a small count cannot be worked out from a total)\n", dateWords(r.From), dateWords(r.To), MinCell-1, MinCell)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(label string, m Measures) {
		fmt.Fprintf(tw, "%s\t", label)
		for _, v := range m.Cells {
			fmt.Fprintf(tw, "%s\t", v)
		}
		fmt.Fprintln(tw)
	}
	for _, o := range r.Offices {
		fmt.Fprintf(tw, "\n%s\t\t\t\t\t\t\t\n", o.Name)
		fmt.Fprintln(tw, "WEEK\tBOOKED\tARRIVED\tNO-SHOW\tCANCELLED\tWALK-INS\tPEOPLE SERVED\t")
		for _, wk := range o.Weeks {
			row(wk.Week+" (from "+dateWords(wk.Start)+")", wk.Measures)
		}
		row("total", o.Total)
	}
	fmt.Fprintf(tw, "\nAll offices\t\t\t\t\t\t\t\n")
	row("total", r.Total)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nLanguages (all offices): appointments and share")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, l := range r.Languages {
		fmt.Fprintf(tw, "%s (%s)\t%s\t%s\n", l.Name, l.Code, l.Shown, l.Share)
	}
	return tw.Flush()
}

// Chart geometry of the report's weekly bars, in SVG user units.
const (
	reportBarWidth = 36
	reportGap      = 14
	reportLeft     = 10
	reportTop      = 24
	reportHeight   = 140
	reportBottom   = 42
	langBarMax     = 360
)

type reportChart struct {
	Office        string
	Width, Height int
	Baseline      int
	Bars          []reportBar
}

// reportBar is a week: booked (outline) with arrived (filled) inside. A
// masked count is drawn as MinCell high, so a bar never shows it either.
type reportBar struct {
	Week, Label, Booked, Arrived                   string
	X, TextX, BookedY, BookedH, ArrivedY, ArrivedH int
	LabelY, WeekY, FromY                           int
	From                                           string
	BookedMasked, ArrivedMasked                    bool
}

type langBar struct {
	Name, Count, Share string
	Y, W, TextX, TextY int
}

type reportData struct {
	From, To   string // YYYY-MM, the form's values
	FromWords  string
	ToWords    string
	Report     Report
	Charts     []reportChart
	LangBars   []langBar
	LangHeight int
	Enabled    bool
	CSVQuery   string
}

// drawn is the height a cell is drawn at: its count when shown, MinCell
// when it says "<5" (so that the bar tells no more than the label), and
// nothing when it says "masked".
func drawn(n int, shown string) int {
	switch {
	case shown == strconv.Itoa(n):
		return n
	case n < MinCell:
		return MinCell
	}
	return 0
}

func reportCharts(r Report) []reportChart {
	var charts []reportChart
	for _, o := range r.Offices {
		c := reportChart{Office: o.Name, Height: reportTop + reportHeight + reportBottom, Baseline: reportTop + reportHeight}
		c.Width = reportLeft*2 + max(len(o.Weeks), 1)*(reportBarWidth+reportGap)
		top := 1
		for _, wk := range o.Weeks {
			top = max(top, drawn(wk.Booked, wk.Cells[0]), drawn(wk.Arrived, wk.Cells[1]))
		}
		for i, wk := range o.Weeks {
			b := reportBar{Week: wk.Week, Booked: wk.Cells[0], Arrived: wk.Cells[1], From: wk.Start.In(time.UTC, 12, 0).Format("2 Jan"),
				BookedMasked: wk.Cells[0] != strconv.Itoa(wk.Booked), ArrivedMasked: wk.Cells[1] != strconv.Itoa(wk.Arrived)}
			b.Label = b.Booked
			b.X = reportLeft + i*(reportBarWidth+reportGap)
			b.TextX = b.X + reportBarWidth/2
			b.BookedH = drawn(wk.Booked, wk.Cells[0]) * reportHeight / top
			b.BookedY = c.Baseline - b.BookedH
			b.ArrivedH = drawn(wk.Arrived, wk.Cells[1]) * reportHeight / top
			b.ArrivedY = c.Baseline - b.ArrivedH
			b.LabelY = b.BookedY - 6
			b.WeekY = c.Baseline + 16
			b.FromY = c.Baseline + 32
			c.Bars = append(c.Bars, b)
		}
		charts = append(charts, c)
	}
	return charts
}

func langBars(ls []LangShare) ([]langBar, int) {
	var out []langBar
	top := 1
	for _, l := range ls {
		top = max(top, drawn(l.Count, l.Shown))
	}
	for i, l := range ls {
		b := langBar{Name: l.Name, Count: l.Shown, Share: l.Share, Y: 8 + i*28}
		b.W = max(drawn(l.Count, l.Shown)*langBarMax/top, 2)
		b.TextX = 130 + b.W + 6
		b.TextY = b.Y + 15
		out = append(out, b)
	}
	return out, 16 + len(ls)*28
}

// reportPage is the managers' report: the closed days' anonymous counts by
// office, week and language, over whole months.
func (s *server) reportPage(w http.ResponseWriter, r *http.Request, p *principal) {
	q := r.URL.Query()
	thisMonth := s.today().In(time.UTC, 12, 0)
	to := scheduling.DateOf(time.Date(thisMonth.Year(), thisMonth.Month(), 1, 12, 0, 0, 0, time.UTC))
	from := scheduling.DateOf(time.Date(thisMonth.Year(), thisMonth.Month()-2, 1, 12, 0, 0, 0, time.UTC))
	d := pageData{Title: "Report"}
	var bad bool
	if v := q.Get("from"); v != "" {
		m, err := ParseMonth(v)
		if err != nil {
			bad = true
		} else {
			from = m
		}
	}
	if v := q.Get("to"); v != "" {
		m, err := ParseMonth(v)
		if err != nil {
			bad = true
		} else {
			to = m
		}
	}
	if bad {
		d.Flash = append(d.Flash, flash{Error: true, Text: "Months are written YYYY-MM, such as 2026-11; showing the default months."})
	}
	if to.Before(from) {
		from, to = to, from
	}
	var counts []DayCount
	if s.Counters != nil {
		var err error
		if counts, err = s.Counters.DayCounts(); err != nil {
			s.internalError(w, r, "report", err)
			return
		}
	}
	rep, err := BuildReport(s.Program, counts, from, to)
	if err != nil {
		s.internalError(w, r, "report", err)
		return
	}
	month := func(d scheduling.Date) string { return d.In(time.UTC, 12, 0).Format("2006-01") }
	data := reportData{From: month(from), To: month(to), FromWords: dateWords(rep.From), ToWords: dateWords(rep.To),
		Report: rep, Charts: reportCharts(rep), Enabled: s.Counters != nil}
	data.LangBars, data.LangHeight = langBars(rep.Languages)
	d.Data = data
	s.render(w, r, http.StatusOK, "report", p, d)
}

// reportCSV is the report as `bot report --format csv` writes it.
func (s *server) reportCSV(w http.ResponseWriter, r *http.Request, p *principal) {
	q := r.URL.Query()
	from, err1 := ParseMonth(q.Get("from"))
	to, err2 := ParseMonth(q.Get("to"))
	if err1 != nil || err2 != nil || to.Before(from) {
		s.errorPage(w, r, http.StatusBadRequest, "Give the months as from=YYYY-MM and to=YYYY-MM, the first not after the last.")
		return
	}
	var counts []DayCount
	if s.Counters != nil {
		var err error
		if counts, err = s.Counters.DayCounts(); err != nil {
			s.internalError(w, r, "report", err)
			return
		}
	}
	rep, err := BuildReport(s.Program, counts, from, to)
	if err != nil {
		s.internalError(w, r, "report", err)
		return
	}
	s.audit(p, "export-report "+q.Get("from")+" "+q.Get("to"), "")
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="cita-report-%s-%s.csv"`, q.Get("from"), q.Get("to")))
	if err := rep.WriteCSV(w); err != nil {
		s.Log.Error("clerk report csv", "err", err)
	}
}
