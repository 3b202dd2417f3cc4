package clerk_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestReviewFixes checks the fixes of the outside browser review that a
// page's HTML shows: languages in words, one date format, the print
// view's time and tick boxes, and the audit log in words with filters.
func TestReviewFixes(t *testing.T) {
	f := newFixture(t)
	a := f.book("+13125550184", 9, 30)
	ana := f.signedIn("ana")
	ana.postFollow("/clerk/checkin", url.Values{"office": {office}, "code": {a.Code}})
	mgr := f.signedIn("max")

	day := ana.get("/clerk/?office=" + office).body
	walkin := ana.get("/clerk/walkin?office=" + office).body
	print := ana.get("/clerk/print?office=" + office).body
	for _, tc := range []struct{ name, page, want string }{
		{"day list: language in words", day, "<td>Spanish</td>"},
		{"day list: date in words", day, "Mon 30 Nov 2026 (today)"},
		{"day list: CSV help names the codes", day, "<code>uk</code> Ukrainian"},
		{"walk-in: languages in words", walkin, `<option value="uk">Ukrainian</option>`},
		{"walk-in: date in words", walkin, "City Hall, Mon 30 Nov 2026"},
		{"print: when and by whom", print, "Printed Mon 30 Nov 2026 at 10:00 by ana."},
		{"print: a box to tick", print, `<td class="tick"><span class="box" aria-hidden="true"></span></td>`},
		{"print: date in words", print, "City Hall · Mon 30 Nov 2026"},
	} {
		if !strings.Contains(tc.page, tc.want) {
			t.Errorf("%s: no %q", tc.name, tc.want)
		}
	}
	if strings.Contains(day, "2026-11-30</span>") || strings.Contains(print, "Monday 2026-11-30") {
		t.Error("a page still writes the day as YYYY-MM-DD")
	}

	for _, tc := range []struct {
		name, query string
		want, not   []string
	}{
		{"every entry in words", "", []string{"Checked a resident in by code", "Signed in", "Opened the print view of city-hall on Mon 30 Nov 2026"}, []string{">check-in<"}},
		{"by clerk", "?clerk=max", []string{"Signed in"}, []string{"Checked a resident in"}},
		{"by action", "?action=check-in", []string{"Checked a resident in by code"}, []string{"Signed in"}},
		{"by day", "?day=2026-11-29", []string{`id="audit-empty"`}, []string{"Signed in"}},
		{"bad day", "?day=yesterday", []string{"The day must be YYYY-MM-DD", "Signed in"}, nil},
	} {
		page := mgr.get("/clerk/audit" + tc.query).body
		for _, w := range tc.want {
			if !strings.Contains(page, w) {
				t.Errorf("audit %s: no %q", tc.name, w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(page, w) {
				t.Errorf("audit %s: has %q", tc.name, w)
			}
		}
	}
}

// TestWeekendIsClosed: a day without opening hours says "closed" on the
// day list and the walk-in page, like a holiday.
func TestWeekendIsClosed(t *testing.T) {
	f := newFixture(t)
	ana := f.signedIn("ana")
	const sunday = "2026-12-06"
	for _, path := range []string{"/clerk/?office=" + office + "&date=" + sunday, "/clerk/walkin?office=" + office + "&date=" + sunday} {
		if body := ana.get(path).body; !strings.Contains(body, "this office is closed on this day") {
			t.Errorf("GET %s does not say closed", path)
		}
	}
	if body := ana.get("/clerk/walkin?office=" + office + "&date=2026-12-01").body; strings.Contains(body, "closed on this day") {
		t.Error("an open Tuesday says closed")
	}
}
