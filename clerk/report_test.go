package clerk_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/clerk"
	"github.com/cita-city/cita/scheduling"
)

// TestReportEqualsCounters books a known day at City Hall (12 residents
// and 2 walk-ins: 7 arrive, 3 cancel, 4 never come), closes it, and reads
// the report: every count equals the counters close-day kept, and every
// count from 1 to 4 is masked in the page and the CSV.
func TestReportEqualsCounters(t *testing.T) {
	f := newFixture(t)
	langs := []string{"es", "es", "es", "es", "es", "es", "es", "en", "en", "en", "uk", "es"}
	var codes []string
	for i, lang := range langs {
		ids, err := f.hasher.Identities(fmt.Sprintf("+131255501%02d", 70+i), t0)
		if err != nil {
			t.Fatal(err)
		}
		start := scheduling.DateOf(t0).In(f.program.Location, 11+i/4, 15*(i%4))
		a, err := f.bookings.Book(ids[0], lang, office, start, 1, t0.Add(-48*time.Hour))
		if err != nil {
			t.Fatalf("book %d: %v", i, err)
		}
		codes = append(codes, a.Code)
	}
	ana := f.signedIn("ana")
	var walkIns []string
	for _, min := range []int{0, 15} {
		start := scheduling.DateOf(t0).In(f.program.Location, 16, min)
		r := ana.postFollow("/clerk/walkin", url.Values{"office": {office}, "date": {"2026-11-30"}, "start": {strconv.FormatInt(start.Unix(), 10)}, "lang": {"es"}})
		i := strings.Index(r.body, `id="new-code">`)
		if i < 0 {
			t.Fatalf("walk-in not booked:\n%s", r.body)
		}
		walkIns = append(walkIns, r.body[i+len(`id="new-code">`):][:6])
	}
	form := func(code string) url.Values { return url.Values{"office": {office}, "code": {code}} }
	for _, code := range slices.Concat(codes[:5], walkIns) { // 7 arrive
		ana.postFollow("/clerk/checkin", form(code))
	}
	for _, code := range codes[5:8] { // 3 cancelled
		v := form(code)
		v.Set("reason", "resident-asked")
		ana.postFollow("/clerk/cancel", v)
	}
	// codes[8:12] never come: close-day makes them no-shows.
	if _, err := f.store.CloseDay(scheduling.DateOf(t0)); err != nil {
		t.Fatal(err)
	}
	stored, err := f.store.Counters()
	if err != nil || len(stored) != 1 {
		t.Fatalf("counters %+v, %v", stored, err)
	}
	sc := stored[0]
	if sc.Booked != 14 || sc.CheckedIn != 7 || sc.NoShow != 4 || sc.Cancelled != 3 || sc.WalkIns != 2 {
		t.Fatalf("counters after close-day: %+v", sc)
	}

	counts, _ := storeCounters{f.store}.DayCounts()
	rep, err := clerk.BuildReport(f.program, counts, scheduling.Date{Year: 2026, Month: 11, Day: 1}, scheduling.Date{Year: 2026, Month: 11, Day: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint([]int{sc.Booked, sc.CheckedIn, sc.NoShow, sc.Cancelled, sc.WalkIns, sc.CheckedIn})
	if len(rep.Offices[0].Weeks) != 1 || rep.Offices[0].Weeks[0].Week != "2026-W49" {
		t.Fatalf("weeks %+v", rep.Offices[0].Weeks)
	}
	for _, m := range []*clerk.Measures{&rep.Total, &rep.Offices[0].Total, &rep.Offices[0].Weeks[0].Measures} {
		if got := fmt.Sprint(m.Values()); got != want {
			t.Fatalf("report cell %s, want the counters' %s", got, want)
		}
	}
	for _, l := range rep.Languages {
		if l.Count != sc.ByLang[l.Code] {
			t.Errorf("language %s: %d in the report, %d in the counters", l.Code, l.Count, sc.ByLang[l.Code])
		}
	}

	mgr := f.signedIn("max")
	if r := ana.get("/clerk/report"); r.code != http.StatusForbidden {
		t.Fatalf("a clerk opened the report: %d", r.code)
	}
	page := mgr.get("/clerk/report?from=2026-11&to=2026-11").body
	for _, w := range []string{
		"<td>14</td><td>7</td><td>&lt;5</td><td>&lt;5</td><td>&lt;5</td><td>7</td>", // booked, arrived, no-show 4, cancelled 3, walk-ins 2, served
		"<th scope=\"row\">Spanish</th><td>10</td><td>71%</td>",
		"<th scope=\"row\">English</th><td>&lt;5</td><td>masked</td>",
		"<th scope=\"row\">Ukrainian</th><td>&lt;5</td><td>masked</td>",
		`<svg viewBox="0 0`, "Share of residents per language",
	} {
		if !strings.Contains(page, w) {
			t.Errorf("report page lacks %q", w)
		}
	}
	for _, leak := range []string{">4<", ">3<", ">2<", ">1<", "Ukrainian: 1 ", "14%", "21%"} {
		if strings.Contains(page, leak) {
			t.Errorf("report page shows a small count: %q", leak)
		}
	}

	r := mgr.get("/clerk/report.csv?from=2026-11&to=2026-11")
	rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil || r.code != http.StatusOK {
		t.Fatalf("report CSV: %d %v\n%s", r.code, err, r.body)
	}
	got := map[string]string{}
	for _, row := range rows[1:] {
		got[strings.Join(row[:4], "/")] = row[4]
	}
	for k, v := range map[string]string{
		"city-hall/2026-W49/all/booked": "14", "city-hall/2026-W49/all/arrived": "7", "city-hall/2026-W49/all/no-show": "<5",
		"city-hall/2026-W49/all/cancelled": "<5", "city-hall/2026-W49/all/walk-ins": "<5", "city-hall/2026-W49/all/people-served": "7",
		"all/all/es/booked": "10", "all/all/es/share": "71%", "all/all/en/booked": "<5", "all/all/en/share": "masked", "all/all/uk/booked": "<5",
		"northwest/all/all/booked": "0", "city-hall/2026-W49/es/booked": "10", "city-hall/2026-W49/uk/booked": "<5",
	} {
		if got[k] != v {
			t.Errorf("CSV %s = %q, want %q", k, got[k], v)
		}
	}
	if strings.Join(rows[0], ",") != "office,week,language,measure,value" {
		t.Errorf("CSV header %v", rows[0])
	}
}

// TestSecondarySuppression: a small count hidden on its own could be
// worked out from a total and the cells beside it, so one more cell of
// every such sum is hidden.
func TestSecondarySuppression(t *testing.T) {
	p := scheduling.Demo()
	nov := scheduling.Date{Year: 2026, Month: 11, Day: 1}
	day := func(d, booked, arrived, noShow, cancelled int, langs map[string]int) clerk.DayCount {
		return clerk.DayCount{Office: "city-hall", Day: scheduling.Date{Year: 2026, Month: 11, Day: d}, Booked: booked,
			Arrived: arrived, NoShow: noShow, Cancelled: cancelled, ByLang: langs}
	}
	for _, tc := range []struct {
		name   string
		counts []clerk.DayCount
		// cells of the first week, the office total, and the languages
		week, total string
		langs       []string
	}{
		{"one small part of booked: the smallest other (a zero) hidden too",
			[]clerk.DayCount{day(30, 12, 10, 2, 0, map[string]int{"es": 6, "en": 6})},
			"[12 10 <5 <5 0 10]", "[12 10 <5 <5 0 10]", []string{"6", "6"}},
		{"one small week: another week hidden too, then its row",
			[]clerk.DayCount{day(2, 3, 3, 0, 0, map[string]int{"es": 3}), day(9, 20, 15, 5, 0, map[string]int{"es": 20}), day(16, 30, 20, 5, 5, map[string]int{"es": 30})},
			"[<5 <5 0 0 0 <5]", "[53 38 10 5 0 38]", []string{"53"}},
		{"one small language: the next smallest hidden too",
			[]clerk.DayCount{day(30, 20, 20, 0, 0, map[string]int{"es": 12, "en": 6, "uk": 2})},
			"[20 20 0 0 0 20]", "[20 20 0 0 0 20]", []string{"12", "masked", "<5"}},
		{"nothing small: nothing hidden",
			[]clerk.DayCount{day(30, 20, 10, 5, 5, map[string]int{"es": 20})},
			"[20 10 5 5 0 10]", "[20 10 5 5 0 10]", []string{"20"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := clerk.BuildReport(p, tc.counts, nov, nov)
			if err != nil {
				t.Fatal(err)
			}
			o := r.Offices[0]
			if got := fmt.Sprint(o.Weeks[0].Cells); got != tc.week {
				t.Errorf("first week %s, want %s", got, tc.week)
			}
			if got := fmt.Sprint(o.Total.Cells); got != tc.total {
				t.Errorf("total %s, want %s", got, tc.total)
			}
			var langs []string
			for _, l := range o.Languages {
				langs = append(langs, l.Shown)
			}
			if fmt.Sprint(langs) != fmt.Sprint(tc.langs) {
				t.Errorf("languages %v, want %v", langs, tc.langs)
			}
			// No sum is left with a single hidden cell.
			hiddenIn := func(cells ...string) (n int) {
				for _, c := range cells {
					if c == "masked" || c == "<5" {
						n++
					}
				}
				return n
			}
			for _, m := range append([]clerk.Measures{o.Total}, weeks(o)...) {
				if hiddenIn(m.Cells[:4]...) == 1 {
					t.Errorf("booked = arrived + no-show + cancelled with one hidden cell: %v", m.Cells)
				}
			}
		})
	}
}

// TestSecondarySuppressionByWeekAndLanguage: a small language in one week
// hides another language of that week, and the same language in another
// week, so neither the week's total nor the office's gives it back.
func TestSecondarySuppressionByWeekAndLanguage(t *testing.T) {
	nov := scheduling.Date{Year: 2026, Month: 11, Day: 1}
	counts := []clerk.DayCount{
		{Office: "city-hall", Day: scheduling.Date{Year: 2026, Month: 11, Day: 2}, Booked: 12, Arrived: 12, ByLang: map[string]int{"es": 10, "en": 2}},
		{Office: "city-hall", Day: scheduling.Date{Year: 2026, Month: 11, Day: 9}, Booked: 20, Arrived: 20, ByLang: map[string]int{"es": 10, "en": 10}},
	}
	r, err := clerk.BuildReport(scheduling.Demo(), counts, nov, nov)
	if err != nil {
		t.Fatal(err)
	}
	shown := func(ls []clerk.LangShare) string {
		var out []string
		for _, l := range ls {
			out = append(out, l.Code+"="+l.Shown)
		}
		return strings.Join(out, " ")
	}
	o := r.Offices[0]
	for _, tc := range []struct{ what, got, want string }{
		{"first week", shown(o.Weeks[0].Languages), "es=masked en=<5"},
		{"second week", shown(o.Weeks[1].Languages), "en=masked es=masked"},
		{"office", shown(o.Languages), "es=20 en=12"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %s, want %s", tc.what, tc.got, tc.want)
		}
	}
}

func weeks(o clerk.OfficeReport) []clerk.Measures {
	var out []clerk.Measures
	for _, w := range o.Weeks {
		out = append(out, w.Measures)
	}
	return out
}

func TestMask(t *testing.T) {
	for n, want := range map[int]string{0: "0", 1: "<5", 4: "<5", 5: "5", 123: "123"} {
		if got := clerk.Mask(n); got != want {
			t.Errorf("Mask(%d) = %q, want %q", n, got, want)
		}
	}
}
