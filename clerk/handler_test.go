package clerk_test

import (
	"encoding/csv"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/clerk"
	"github.com/cita-city/cita/scheduling"
	"github.com/cita-city/cita/storage"
)

// routes are every page and action of the app, with the role it needs.
var routes = []struct {
	method, path string
	manager      bool
}{
	{"GET", "/clerk/", false},
	{"GET", "/clerk/?date=2026-11-30&office=city-hall", false},
	{"POST", "/clerk/logout", false},
	{"POST", "/clerk/checkin", false},
	{"POST", "/clerk/checkin-phone", false},
	{"POST", "/clerk/noshow", false},
	{"POST", "/clerk/undo", false},
	{"POST", "/clerk/cancel", false},
	{"GET", "/clerk/walkin", false},
	{"POST", "/clerk/walkin", false},
	{"GET", "/clerk/print", false},
	{"GET", "/clerk/day.csv", false},
	{"GET", "/clerk/close", true},
	{"POST", "/clerk/close", true},
	{"POST", "/clerk/reopen", true},
	{"GET", "/clerk/capacity", true},
	{"GET", "/clerk/audit", true},
	{"POST", "/clerk/call", false},
	{"POST", "/clerk/served", false},
	{"GET", "/clerk/report", true},
	{"GET", "/clerk/report.csv?from=2026-11&to=2026-11", true},
	{"GET", "/clerk/lobby", true},
	{"POST", "/clerk/lobby-token", true},
	{"POST", "/clerk/lobby-revoke", true},
	{"GET", "/clerk/no-such-page", false}, // unknown paths do not answer strangers either
}

func TestEveryRouteNeedsASession(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	for _, r := range routes {
		var resp response
		if r.method == "GET" {
			resp = c.get(r.path)
		} else {
			resp = c.post(r.path, url.Values{"office": {office}, "code": {"ABCDEF"}})
		}
		if resp.code != http.StatusSeeOther || resp.location != "/clerk/login" {
			t.Errorf("%s %s without a session: %d %q, want 303 to /clerk/login", r.method, r.path, resp.code, resp.location)
		}
	}
	// The sign-in page and its style sheet are the only public things.
	for _, path := range []string{"/clerk/login", "/clerk/static/style.css", "/clerk/static/print.js"} {
		if resp := c.get(path); resp.code != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", path, resp.code)
		}
	}
}

func TestManagerRoutes(t *testing.T) {
	f := newFixture(t)
	ana, max := f.signedIn("ana"), f.signedIn("max")
	for _, r := range routes {
		if !r.manager {
			continue
		}
		form := url.Values{"office": {office}, "date": {"2026-12-01"}}
		var resp response
		if r.method == "GET" {
			resp = ana.get(r.path)
		} else {
			resp = ana.post(r.path, form)
		}
		if resp.code != http.StatusForbidden {
			t.Errorf("clerk %s %s: %d, want 403", r.method, r.path, resp.code)
		}
		if r.method == "GET" {
			resp = max.get(r.path)
			if resp.code != http.StatusOK {
				t.Errorf("manager GET %s: %d, want 200", r.path, resp.code)
			}
		}
	}
	// Nothing was closed, and no screen link made, by the clerk's attempts.
	if closed, _ := f.store.Closed(office, scheduling.Date{Year: 2026, Month: 12, Day: 1}); closed {
		t.Error("a clerk closed an office")
	}
	if _, has, _ := f.store.LobbyToken(office); has {
		t.Error("a clerk made a screen link")
	}
	// The nav shows manager pages to managers only.
	if body := ana.get("/clerk/").body; strings.Contains(body, "/clerk/audit") {
		t.Error("clerk sees the audit link")
	}
	if body := max.get("/clerk/").body; !strings.Contains(body, "/clerk/audit") {
		t.Error("manager does not see the audit link")
	}
}

func TestCrossSitePostsRejected(t *testing.T) {
	f := newFixture(t)
	a := f.book(testPhone, 10, 0)
	c := f.signedIn("ana")
	for _, h := range [][]string{
		{"Origin", "http://evil.example"},
		{"Sec-Fetch-Site", "cross-site"},
	} {
		resp := c.post("/clerk/checkin", url.Values{"office": {office}, "code": {a.Code}}, h...)
		if resp.code != http.StatusForbidden {
			t.Errorf("check-in with %s: %s: %d, want 403", h[0], h[1], resp.code)
		}
		resp = f.client().post("/clerk/login", url.Values{"username": {"ana"}, "password": {password}}, h...)
		if resp.code != http.StatusForbidden {
			t.Errorf("sign-in with %s: %s: %d, want 403", h[0], h[1], resp.code)
		}
	}
	if got, _ := f.store.ByCode(a.Code); got.Status != scheduling.StatusBooked {
		t.Fatalf("cross-site check-in went through: %v", got.Status)
	}
	// The same form from the app's own origin works.
	resp := c.post("/clerk/checkin", url.Values{"office": {office}, "code": {a.Code}}, "Origin", f.server.URL, "Sec-Fetch-Site", "same-origin")
	if resp.code != http.StatusSeeOther {
		t.Fatalf("same-origin check-in: %d", resp.code)
	}
}

// login posts a sign-in straight to the handler from addr.
func login(f *fixture, name, pw, addr string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/clerk/login", strings.NewReader(url.Values{"username": {name}, "password": {pw}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = addr + ":40000"
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return rec
}

func TestSignInThrottled(t *testing.T) {
	f := newFixture(t)
	const generic = "Sign-in failed"

	// Per address: five failures on made-up names lock the address, for
	// real accounts too; another address is unaffected.
	for i := range 5 {
		if rec := login(f, "nobody"+string(rune('a'+i)), "whatever-guess", "203.0.113.9"); rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), generic) {
			t.Fatalf("made-up name %d: %d", i, rec.Code)
		}
	}
	locked := login(f, "max", password, "203.0.113.9")
	if locked.Code != http.StatusUnauthorized || !strings.Contains(locked.Body.String(), generic) {
		t.Fatalf("locked address with the right password: %d, want 401 with the generic message", locked.Code)
	}
	wrong := login(f, "max", "wrong password!", "203.0.113.10")
	if msg := regexp.MustCompile(`(?s)<main.*</main>`); msg.FindString(wrong.Body.String()) != msg.FindString(locked.Body.String()) {
		t.Error("a locked account reads differently from a wrong password")
	}
	if rec := login(f, "max", password, "203.0.113.11"); rec.Code != http.StatusSeeOther {
		t.Fatalf("other address: %d, want 303", rec.Code)
	}
	f.clock.Advance(15*time.Minute + time.Second)
	if rec := login(f, "max", password, "203.0.113.9"); rec.Code != http.StatusSeeOther {
		t.Fatalf("after 15 minutes: %d, want 303", rec.Code)
	}

	// Per name: ten wrong passwords for "ana" from five addresses (two
	// each, so no address locks) lock the name everywhere.
	for i := range 10 {
		if rec := login(f, "ana", "wrong password!", "192.0.2."+string(rune('1'+i/2))); rec.Code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i, rec.Code)
		}
	}
	if rec := login(f, "ana", password, "198.51.100.7"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("locked name from a fresh address: %d, want 401", rec.Code)
	}
	if rec := login(f, "max", password, "198.51.100.7"); rec.Code != http.StatusSeeOther {
		t.Fatalf("another account: %d, want 303", rec.Code)
	}
	f.clock.Advance(15*time.Minute + time.Second)
	if rec := login(f, "ana", password, "198.51.100.7"); rec.Code != http.StatusSeeOther {
		t.Fatalf("name lock after 15 minutes: %d, want 303", rec.Code)
	}
}

func TestSessionCookieAndExpiry(t *testing.T) {
	f := newFixture(t, func(c *clerk.Config) { c.PlainHTTP = false })
	rec := login(f, "ana", password, "127.0.0.1")
	cookie := rec.Result().Cookies()
	if len(cookie) != 1 {
		t.Fatalf("cookies: %v", cookie)
	}
	ck := cookie[0]
	if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/clerk/" {
		t.Fatalf("cookie %+v: want HttpOnly, Secure, SameSite=Strict, Path=/clerk/", ck)
	}
	get := func(ck *http.Cookie) int {
		req := httptest.NewRequest("GET", "/clerk/", nil)
		req.AddCookie(ck)
		rec := httptest.NewRecorder()
		f.handler.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := get(ck); code != http.StatusOK {
		t.Fatalf("with the cookie: %d", code)
	}
	f.clock.Advance(29 * time.Minute)
	if code := get(ck); code != http.StatusOK {
		t.Fatalf("after 29 idle minutes: %d", code)
	}
	f.clock.Advance(30 * time.Minute)
	if code := get(ck); code != http.StatusSeeOther {
		t.Fatalf("after 30 idle minutes: %d, want 303", code)
	}

	// Sign-out ends the session on the server: the old cookie is dead.
	ck = login(f, "ana", password, "127.0.0.1").Result().Cookies()[0]
	req := httptest.NewRequest("POST", "/clerk/logout", nil)
	req.AddCookie(ck)
	f.handler.ServeHTTP(httptest.NewRecorder(), req)
	if code := get(ck); code != http.StatusSeeOther {
		t.Fatalf("after sign-out: %d, want 303", code)
	}

	// A removed account is signed out at once.
	ck = login(f, "ana", password, "127.0.0.1").Result().Cookies()[0]
	if err := f.store.RemoveClerk("ana"); err != nil {
		t.Fatal(err)
	}
	if code := get(ck); code != http.StatusSeeOther {
		t.Fatalf("removed account: %d, want 303", code)
	}
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	c := f.signedIn("max")
	for _, path := range []string{"/clerk/login", "/clerk/", "/clerk/capacity", "/clerk/print"} {
		h := c.get(path).header
		csp := h.Get("Content-Security-Policy")
		if csp == "" || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
	// No inline script or style anywhere: the CSP would block it.
	for _, path := range []string{"/clerk/login", "/clerk/", "/clerk/walkin", "/clerk/capacity", "/clerk/close", "/clerk/audit", "/clerk/print"} {
		body := c.get(path).body
		if regexp.MustCompile(`<script>|<script(\s+[a-z]+="[^"]*")*\s*>[^<]|\sstyle=|<style|\son[a-z]+=`).MatchString(body) {
			t.Errorf("%s has inline script or style", path)
		}
	}
}

func TestEscaping(t *testing.T) {
	const evil = `<script>alert("x")</script>`
	f := newFixture(t)
	o := &f.program.Offices[0]
	o.Names = map[string]string{"en": evil, "es": evil}
	o.DefaultName = evil
	f.book(testPhone, 10, 0)
	c := f.signedIn("max")
	for _, path := range []string{"/clerk/", "/clerk/print", "/clerk/walkin", "/clerk/capacity", "/clerk/close"} {
		body := c.get(path).body
		if strings.Contains(body, evil) || strings.Contains(body, "<script>alert") {
			t.Errorf("%s: office name not escaped", path)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
			t.Errorf("%s: escaped office name missing", path)
		}
	}
	// A date typed into the URL is escaped too (and then ignored).
	body := c.get("/clerk/?date=%22%3E%3Cscript%3E").body
	if strings.Contains(body, `"><script>`) {
		t.Error("date parameter reflected unescaped")
	}
}

func TestDayCSV(t *testing.T) {
	f := newFixture(t)
	a1 := f.book(testPhone, 10, 0)
	a2 := f.book("+13125550143", 9, 15)
	c := f.signedIn("ana")
	c.postFollow("/clerk/checkin", url.Values{"office": {office}, "code": {a1.Code}})

	resp := c.get("/clerk/day.csv?date=2026-11-30&office=city-hall")
	if resp.code != http.StatusOK || !strings.HasPrefix(resp.header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(resp.header.Get("Content-Disposition"), `attachment; filename="cita-2026-11-30-city-hall.csv"`) {
		t.Fatalf("CSV: %d %v", resp.code, resp.header)
	}
	rows, err := csv.NewReader(strings.NewReader(resp.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"date", "time", "office", "code", "language", "status", "people"},
		{"2026-11-30", "09:15", "city-hall", a2.Code, "es", "booked", "1"},
		{"2026-11-30", "10:00", "city-hall", a1.Code, "es", "checked-in", "1"},
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Fatalf("CSV rows:\n%q\nwant\n%q", rows, want)
	}
	// Every office when none is named; a bad date is refused.
	if rows := c.get("/clerk/day.csv?date=2026-11-30").body; strings.Count(rows, "\n") != 3 {
		t.Fatalf("all offices:\n%s", rows)
	}
	if resp := c.get("/clerk/day.csv?date=30.11.2026"); resp.code != http.StatusBadRequest {
		t.Fatalf("bad date: %d", resp.code)
	}
	if resp := c.get("/clerk/day.csv?office=nowhere"); resp.code != http.StatusBadRequest {
		t.Fatalf("bad office: %d", resp.code)
	}
}

func TestCheckInNoShowUndoCancel(t *testing.T) {
	f := newFixture(t)
	early := f.book("+13125550143", 9, 0)
	byCode := f.book("+13125550144", 10, 0)
	byPhone := f.book(testPhone, 11, 0)
	c := f.signedIn("ana")

	body := c.postFollow("/clerk/checkin", url.Values{"office": {office}, "code": {strings.ToLower(byCode.Code[:3]) + " " + byCode.Code[3:]}}).body
	if !strings.Contains(body, "Checked in "+byCode.Code) {
		t.Fatalf("check-in by code:\n%s", body)
	}
	body = c.postFollow("/clerk/checkin-phone", url.Values{"office": {office}, "phone": {"(312) 555-0142"}}).body
	if !strings.Contains(body, "Checked in "+byPhone.Code) {
		t.Fatalf("check-in by phone:\n%s", body)
	}
	body = c.postFollow("/clerk/checkin-phone", url.Values{"office": {office}, "phone": {"312 555 0199"}}).body
	if !strings.Contains(body, "This counter has no appointment for that phone number today") {
		t.Fatalf("unknown phone:\n%s", body)
	}
	body = c.postFollow("/clerk/checkin-phone", url.Values{"office": {office}, "phone": {"12"}}).body
	if !strings.Contains(body, "not a phone number") {
		t.Fatalf("bad phone:\n%s", body)
	}
	// Check-in at the wrong office says where the appointment is.
	body = c.postFollow("/clerk/checkin", url.Values{"office": {"northwest"}, "code": {early.Code}}).body
	if !strings.Contains(body, "Not checked in: the appointment is "+early.Code) {
		t.Fatalf("wrong office:\n%s", body)
	}
	body = c.postFollow("/clerk/noshow", url.Values{"office": {office}, "code": {early.Code}}).body
	if !strings.Contains(body, early.Code+" marked as a no-show") {
		t.Fatalf("no-show:\n%s", body)
	}
	// A future slot cannot be a no-show yet.
	body = c.postFollow("/clerk/undo", url.Values{"office": {office}, "code": {byPhone.Code}}).body
	if !strings.Contains(body, "Undone") {
		t.Fatalf("undo check-in:\n%s", body)
	}
	body = c.postFollow("/clerk/noshow", url.Values{"office": {office}, "code": {byPhone.Code}}).body
	if !strings.Contains(body, "whose time has come") {
		t.Fatalf("early no-show:\n%s", body)
	}
	body = c.postFollow("/clerk/cancel", url.Values{"office": {office}, "code": {byPhone.Code}, "reason": {"free text here"}}).body
	if !strings.Contains(body, "Pick a reason") {
		t.Fatalf("free-text reason accepted:\n%s", body)
	}
	body = c.postFollow("/clerk/cancel", url.Values{"office": {office}, "code": {byPhone.Code}, "reason": {"resident-asked"}}).body
	if !strings.Contains(body, "Cancelled "+byPhone.Code) {
		t.Fatalf("cancel:\n%s", body)
	}
	for code, want := range map[string]scheduling.Status{early.Code: scheduling.StatusNoShow, byCode.Code: scheduling.StatusCheckedIn, byPhone.Code: scheduling.StatusCancelled} {
		if a, _ := f.store.ByCode(code); a.Status != want {
			t.Errorf("%s is %v, want %v", code, a.Status, want)
		}
	}

	// The audit log has each action; nothing anywhere has the number.
	audit := f.signedIn("max").get("/clerk/audit").body
	for _, want := range []string{"check-in", "check-in-by-phone", "no-show", "undo-checked-in", "cancel:resident-asked", byPhone.Code} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %q", want)
		}
	}
	var dump strings.Builder
	if err := f.store.Inspect(&dump); err != nil {
		t.Fatal(err)
	}
	for where, text := range map[string]string{"audit page": audit, "logs": f.logs.String(), "database": dump.String(), "day list": c.get("/clerk/").body} {
		for _, spelling := range []string{"3125550142", "555-0142", "5550142", "555 0142"} {
			if strings.Contains(text, spelling) {
				t.Errorf("%s contains the phone number (%s)", where, spelling)
			}
		}
	}
}

func TestWalkIn(t *testing.T) {
	f := newFixture(t)
	c := f.signedIn("ana")
	page := c.get("/clerk/walkin?office=city-hall").body
	// It is 10:00: the running slot and later ones are offered, despite the
	// program's 2-hour lead time; earlier ones are not.
	if !strings.Contains(page, `id="slot-1000"`) {
		t.Fatalf("10:00 not offered:\n%s", page)
	}
	if strings.Contains(page, `id="slot-0945"`) {
		t.Fatal("a past slot is offered")
	}
	start := scheduling.DateOf(t0).In(f.program.Location, 10, 15).Unix()
	form := url.Values{"office": {office}, "date": {"2026-11-30"}, "start": {strconv.FormatInt(start, 10)}, "lang": {"es"}}
	resp := c.post("/clerk/walkin", form)
	if resp.code != http.StatusSeeOther {
		t.Fatalf("walk-in: %d\n%s", resp.code, resp.body)
	}
	body := c.get(resp.location).body
	m := regexp.MustCompile(`id="new-code">([A-Z0-9]{6})<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no code shown:\n%s", body)
	}
	a, err := f.store.ByCode(m[1])
	if err != nil || a.Lang != "es" || a.Start.Unix() != start || a.Status != scheduling.StatusBooked {
		t.Fatalf("walk-in stored as %+v, %v", a, err)
	}

	// With a phone number, the booking is the resident's: found by it.
	form.Set("phone", "312-555-0142")
	if resp = c.post("/clerk/walkin", form); resp.code != http.StatusSeeOther {
		t.Fatalf("phone walk-in: %d", resp.code)
	}
	ids, _ := f.hasher.Identities(testPhone, t0)
	mine, err := f.store.Find(ids...)
	if err != nil || mine.Start.Unix() != start {
		t.Fatalf("phone walk-in: %+v, %v", mine, err)
	}
	// A second booking for the same number is refused, without saying
	// which appointment it holds.
	c.get("/clerk/") // shows and clears the flash of the booking above
	body = c.postFollow("/clerk/walkin", form).body
	if !strings.Contains(body, "This person already holds an appointment. Ask for its confirmation code") || strings.Contains(body, mine.Code) {
		t.Fatalf("second walk-in:\n%s", body)
	}
}

func TestCloseOffice(t *testing.T) {
	for _, withNotifier := range []bool{false, true} {
		n := &fakeNotifier{}
		var opts []fixtureOption
		if withNotifier {
			opts = append(opts, func(c *clerk.Config) { c.Notifier = n })
		}
		f := newFixture(t, opts...)
		day := scheduling.DateOf(t0).AddDays(1)
		var codes []string
		for i, phone := range []string{"+13125550142", "+13125550143", "+13125550144"} {
			ids, _ := f.hasher.Identities(phone, t0)
			a, err := f.bookings.Book(ids[0], "en", office, day.In(f.program.Location, 9, 15*i), 1, t0)
			if err != nil {
				t.Fatal(err)
			}
			codes = append(codes, a.Code)
		}
		c := f.signedIn("max")
		page := c.get("/clerk/close?office=city-hall&date=" + day.String()).body
		if !strings.Contains(page, "cancels <strong>3 booked appointments</strong>") {
			t.Fatalf("close page:\n%s", page)
		}
		body := c.postFollow("/clerk/close", url.Values{"office": {office}, "date": {day.String()}, "confirm": {"yes"}}).body
		// Each message in its own box: the warnings styled as warnings,
		// every count with the right plural.
		want := []string{"3 appointments were cancelled.",
			`<div class="flash warn" role="status"><strong>Note:</strong>`, "3 residents could not be told"}
		if withNotifier {
			want = []string{"3 appointments were cancelled.", "2 residents were told by text message.",
				`<div class="flash warn" role="status"><strong>Note:</strong>`, "1 resident could not be told"}
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Fatalf("notifier %v: want %q in\n%s", withNotifier, w, body)
			}
		}
		if strings.Contains(body, "1 residents") || strings.Contains(body, `flash error`) {
			t.Fatalf("notifier %v: wrong plural or an error box:\n%s", withNotifier, body)
		}
		if !strings.Contains(body, `id="closed"`) {
			t.Fatal("day list does not say closed")
		}
		for _, code := range codes {
			if a, _ := f.store.ByCode(code); a.Status != scheduling.StatusCancelled {
				t.Errorf("%s is %v after closing", code, a.Status)
			}
		}
		if closed, _ := f.store.Closed(office, day); !closed {
			t.Fatal("closure not stored")
		}
		if withNotifier && (len(n.calls) != 1 || n.calls[0] != "city-hall "+day.String()) {
			t.Fatalf("notifier calls %v", n.calls)
		}
		// Residents can no longer find or book the closed day.
		if free, err := f.bookings.FreeSlots(office, day, 1, t0); err != nil || len(free) != 0 {
			t.Fatalf("residents are offered %d slots on the closed day (%v)", len(free), err)
		}
		ids, _ := f.hasher.Identities("+13125550145", t0)
		if _, err := f.bookings.Book(ids[0], "en", office, day.In(f.program.Location, 11, 0), 1, t0); !errors.Is(err, scheduling.ErrNotBookable) {
			t.Fatalf("resident booked the closed day: %v", err)
		}
		// No walk-ins on a closed day; the chart shows it closed.
		if page := c.get("/clerk/walkin?office=city-hall&date=" + day.String()).body; !strings.Contains(page, "closed on this day") {
			t.Fatal("walk-in page offers a closed day")
		}
		if chart := c.get("/clerk/capacity").body; !strings.Contains(chart, "<svg") || !strings.Contains(chart, "Tue 1 Dec 2026: closed") {
			t.Fatalf("chart:\n%s", chart)
		}
		body = c.postFollow("/clerk/reopen", url.Values{"office": {office}, "date": {day.String()}}).body
		if !strings.Contains(body, "open again") {
			t.Fatalf("reopen:\n%s", body)
		}
		if free, err := f.bookings.FreeSlots(office, day, 1, t0); err != nil || len(free) == 0 {
			t.Fatalf("reopened day offers no slots (%v)", err)
		}
		if audit := c.get("/clerk/audit").body; !strings.Contains(audit, "Closed city-hall on Tue 1 Dec 2026") || !strings.Contains(audit, "Cancelled an appointment: the office closed that day") {
			t.Fatalf("audit:\n%s", audit)
		}
	}
}

func TestCapacityChart(t *testing.T) {
	f := newFixture(t)
	f.book(testPhone, 10, 0)
	f.book("+13125550143", 10, 0)
	body := f.signedIn("max").get("/clerk/capacity").body
	// Monday 30 November: City Hall 09:00-17:00, 32 slots x 4 desks.
	if !strings.Contains(body, "Mon 30 Nov 2026: 2 booked of 128") {
		t.Fatalf("chart:\n%s", body)
	}
	if n := strings.Count(body, "<svg"); n != len(f.program.Offices) {
		t.Fatalf("%d charts, want one per office", n)
	}
	// Sunday: no hours, so closed, not "0/0".
	if !strings.Contains(body, "Sun 6 Dec 2026: closed") || strings.Contains(body, "0/0") {
		t.Fatal("Sunday is not shown as closed")
	}
	// 2 of 128 seats: the bar is still visible (at least 3 units high).
	if !strings.Contains(body, `height="3" class="booked"`) {
		t.Fatalf("2 of 128 draws no visible bar:\n%s", body)
	}
}

func TestPasswordHash(t *testing.T) {
	if _, err := clerk.HashPassword("short"); err == nil {
		t.Fatal("short password accepted")
	}
	h, err := clerk.HashPassword(password)
	if err != nil || !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q, %v", h, err)
	}
	if strings.Contains(h, password) {
		t.Fatal("hash contains the password")
	}
	f := newFixture(t)
	if _, err := f.store.PutClerk(storage.ClerkAccount{Name: "real", Role: storage.RoleClerk, Hash: h}); err != nil {
		t.Fatal(err)
	}
	if rec := login(f, "real", password, "127.0.0.1"); rec.Code != http.StatusSeeOther {
		t.Fatalf("sign in with a real hash: %d", rec.Code)
	}
}
