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
		a, err := f.bookings.Book(ids[0], lang, office, start, t0.Add(-48*time.Hour))
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
	want := clerk.Measures{Booked: sc.Booked, Arrived: sc.CheckedIn, NoShow: sc.NoShow, Cancelled: sc.Cancelled, WalkIns: sc.WalkIns, Served: sc.CheckedIn}
	if rep.Total != want || rep.Offices[0].Total != want || len(rep.Offices[0].Weeks) != 1 || rep.Offices[0].Weeks[0].Measures != want || rep.Offices[0].Weeks[0].Week != "2026-W49" {
		t.Fatalf("report %+v, want %+v in every cell", rep, want)
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
		"northwest/all/all/booked": "0",
	} {
		if got[k] != v {
			t.Errorf("CSV %s = %q, want %q", k, got[k], v)
		}
	}
	if strings.Join(rows[0], ",") != "office,week,language,measure,value" {
		t.Errorf("CSV header %v", rows[0])
	}
}

func TestMask(t *testing.T) {
	for n, want := range map[int]string{0: "0", 1: "<5", 4: "<5", 5: "5", 123: "123"} {
		if got := clerk.Mask(n); got != want {
			t.Errorf("Mask(%d) = %q, want %q", n, got, want)
		}
	}
}
