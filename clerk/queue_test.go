package clerk_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/clerk"
)

// lobbyState is the JSON the waiting-room screen polls.
type lobbyState struct {
	Calls  int `json:"calls"`
	Called []struct {
		Code string `json:"code"`
		Desk string `json:"desk"`
	} `json:"called"`
	Waiting []string `json:"waiting"`
}

func (c *client) lobby(officeID, token string) (lobbyState, int) {
	c.f.t.Helper()
	r := c.get("/lobby/state?" + url.Values{"office": {officeID}, "token": {token}}.Encode())
	var s lobbyState
	if r.code == http.StatusOK {
		if err := json.Unmarshal([]byte(r.body), &s); err != nil {
			c.f.t.Fatalf("lobby state %q: %v", r.body, err)
		}
	}
	return s, r.code
}

// newLobbyToken has the manager make office's screen link and returns its
// token, read from the link shown once.
func newLobbyToken(t *testing.T, c *client, officeID string) string {
	t.Helper()
	page := c.postFollow("/clerk/lobby-token", url.Values{"office": {officeID}}).body
	m := regexp.MustCompile(`id="new-link" href="[^"]*token=([A-Za-z0-9_-]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no screen link shown:\n%s", page)
	}
	return m[1]
}

func TestQueue(t *testing.T) {
	f := newFixture(t)
	a := f.book("+13125550160", 9, 30)
	b := f.book("+13125550161", 10, 0)
	c := f.book("+13125550162", 10, 15)
	later := f.book("+13125550163", 16, 0)
	ana := f.signedIn("ana")
	form := func(kv ...string) url.Values {
		v := url.Values{"office": {office}, "date": {"2026-11-30"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}

	// Check in A, then B and C two minutes later.
	ana.postFollow("/clerk/checkin", form("code", a.Code))
	f.clock.Advance(2 * time.Minute)
	ana.postFollow("/clerk/checkin", form("code", b.Code))
	r := ana.post("/clerk/checkin", form("code", c.Code))
	if r.code != http.StatusSeeOther || !strings.HasPrefix(r.location, "/clerk/?") {
		t.Fatalf("check-in answers %d %s", r.code, r.location)
	}
	page := ana.get(r.location).body
	waiting := page[strings.Index(page, `id="waiting"`):]
	waiting = waiting[:strings.Index(waiting, "</ol>")]
	if ia, ib, ic := strings.Index(waiting, a.Code), strings.Index(waiting, b.Code), strings.Index(waiting, c.Code); ia < 0 || ia > ib || ib > ic {
		t.Fatalf("waiting list not in order of arrival A, B, C:\n%s", waiting)
	}
	if !strings.Contains(waiting, "arrived 10:00, waiting 2 minutes") || !strings.Contains(waiting, "arrived 10:02, waiting under a minute") {
		t.Fatalf("waiting times:\n%s", waiting)
	}
	// The focus stays in the code field: it is the page's autofocus.
	if !regexp.MustCompile(`<input id="code"[^>]* autofocus`).MatchString(page) {
		t.Fatal("the code field does not take the focus after a check-in")
	}
	// The line for the current time (10:02) sits above the first slot
	// still to come (10:15).
	if i := strings.Index(page, `id="now-line"`); i < 0 || strings.Index(page, `id="appt-`+c.Code) < i || strings.Index(page, `id="appt-`+b.Code) > i {
		t.Fatal("the line for now is not between 10:00 and 10:15")
	}
	if !strings.Contains(page, "3 waiting · 0 called · 0 served") {
		t.Fatalf("queue summary:\n%s", page)
	}

	mgr := f.signedIn("max")
	token := newLobbyToken(t, mgr, office)

	// Call the next (A) to desk 2, then C by its code to desk 3.
	body := ana.postFollow("/clerk/call", form("code", "", "desk", "2")).body
	if !strings.Contains(body, "Called "+a.Code+" to desk 2.") {
		t.Fatalf("call next:\n%s", body)
	}
	body = ana.postFollow("/clerk/call", form("code", strings.ToLower(c.Code), "desk", "3")).body
	if !strings.Contains(body, "Called "+c.Code+" to desk 3.") || !strings.Contains(body, `value="3" class="desk"`) {
		t.Fatalf("call by code (the desk is remembered):\n%s", body)
	}
	st, code := mgr.lobby(office, token)
	if code != http.StatusOK || st.Calls != 2 || len(st.Called) != 2 || st.Called[0].Code != c.Code || st.Called[0].Desk != "3" ||
		st.Called[1].Code != a.Code || len(st.Waiting) != 1 || st.Waiting[0] != b.Code {
		t.Fatalf("lobby after two calls: %d %+v", code, st)
	}

	// Served A; B's check-in undone: the lobby shows C called, nobody waiting.
	if body = ana.postFollow("/clerk/served", form("code", a.Code)).body; !strings.Contains(body, a.Code+" served.") {
		t.Fatalf("served:\n%s", body)
	}
	ana.postFollow("/clerk/undo", form("code", b.Code))
	st, _ = mgr.lobby(office, token)
	if len(st.Called) != 1 || st.Called[0].Code != c.Code || len(st.Waiting) != 0 {
		t.Fatalf("lobby after served and undo: %+v", st)
	}
	body = ana.get("/clerk/?office=" + office).body
	if !strings.Contains(body, "0 waiting · 1 called · 1 served") {
		t.Fatalf("queue after served and undo:\n%s", body)
	}

	for name, tc := range map[string]struct {
		form url.Values
		want string
	}{
		"not checked in": {form("code", later.Code, "desk", "2"), later.Code + " is not waiting here"},
		"no desk":        {form("code", c.Code, "desk", ""), "Say which desk"},
		"bad desk":       {form("code", c.Code, "desk", "<b>"), "Say which desk"},
		"nobody waiting": {form("code", "", "desk", "2"), "Nobody is waiting."},
		"not a code":     {form("code", "12", "desk", "2"), "not a confirmation code"},
	} {
		if body := ana.postFollow("/clerk/call", tc.form).body; !strings.Contains(body, tc.want) {
			t.Errorf("%s: want %q in\n%s", name, tc.want, body)
		}
	}
	if audit := mgr.get("/clerk/audit?action=call").body; !strings.Contains(audit, "Called a resident to desk 3") || strings.Contains(audit, "Signed in") {
		t.Fatalf("audit filtered to calls:\n%s", audit)
	}

	// A restart forgets the queue: the checked-in come back as waiting.
	h, err := clerk.New(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/clerk/", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f2 := *f
	f2.server = srv
	body = f2.signedIn("ana").get("/clerk/?office=" + office).body
	if !strings.Contains(body, "2 waiting · 0 called · 0 served") || !strings.Contains(body, "arrived before a restart") {
		t.Fatalf("after a restart:\n%s", body)
	}
}

func TestLobbyNeedsItsToken(t *testing.T) {
	f := newFixture(t)
	a := f.book("+13125550164", 9, 30)
	anon := f.client()
	mgr := f.signedIn("max")
	ana := f.signedIn("ana")

	// No token made yet: every request is refused.
	for _, path := range []string{"/lobby/?office=" + office, "/lobby/?office=" + office + "&token=x", "/lobby/state?office=" + office + "&token="} {
		if r := anon.get(path); r.code != http.StatusForbidden {
			t.Errorf("GET %s before any token: %d, want 403", path, r.code)
		}
	}
	// Only a manager makes one.
	if r := ana.post("/clerk/lobby-token", url.Values{"office": {office}}); r.code != http.StatusForbidden {
		t.Fatalf("a clerk made a screen link: %d", r.code)
	}
	token := newLobbyToken(t, mgr, office)
	ana.postFollow("/clerk/checkin", url.Values{"office": {office}, "code": {a.Code}})
	ana.postFollow("/clerk/call", url.Values{"office": {office}, "code": {a.Code}, "desk": {"2"}})

	r := anon.get("/lobby/?" + url.Values{"office": {office}, "token": {token}}.Encode())
	if r.code != http.StatusOK || !strings.Contains(r.body, a.Code) || !strings.Contains(r.body, `<span class="desk">2</span>`) {
		t.Fatalf("lobby page: %d\n%s", r.code, r.body)
	}
	// Codes and desks only: no language, time, status or clerk.
	for _, leak := range []string{"Spanish", "09:30", "checked-in", "ana"} {
		if strings.Contains(strings.ToLower(pageText(r.body)), strings.ToLower(leak)) {
			t.Errorf("the lobby page shows %q", leak)
		}
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("lobby CSP %q", csp)
	}
	for name, q := range map[string]url.Values{
		"wrong token":      {"office": {office}, "token": {wrongLast(token)}},
		"another office":   {"office": {"northwest"}, "token": {token}},
		"unknown office":   {"office": {"nowhere"}, "token": {token}},
		"no office":        {"token": {token}},
		"token cut short":  {"office": {office}, "token": {token[:10]}},
		"token in a form?": {"office": {office}, "tokens": {token}},
	} {
		for _, path := range []string{"/lobby/?", "/lobby/state?"} {
			if r := anon.get(path + q.Encode()); r.code != http.StatusForbidden || strings.Contains(r.body, a.Code) {
				t.Errorf("%s %s: %d, want 403", name, path, r.code)
			}
		}
	}
	// A new link stops the old one; revoking stops all.
	token2 := newLobbyToken(t, mgr, office)
	if _, code := anon.lobby(office, token); code != http.StatusForbidden {
		t.Errorf("old token after a new one: %d", code)
	}
	if _, code := anon.lobby(office, token2); code != http.StatusOK {
		t.Errorf("new token: %d", code)
	}
	if body := mgr.postFollow("/clerk/lobby-revoke", url.Values{"office": {office}}).body; !strings.Contains(body, "no longer works") {
		t.Fatalf("revoke:\n%s", body)
	}
	if _, code := anon.lobby(office, token2); code != http.StatusForbidden {
		t.Errorf("revoked token: %d", code)
	}
	if audit := mgr.get("/clerk/audit?action=lobby").body; strings.Count(audit, "screen link") < 3 || strings.Contains(audit, token2) {
		t.Fatalf("audit of screen links:\n%s", audit)
	}
}

// pageText strips tags, roughly: what a reader of the page sees.
func pageText(html string) string {
	return regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(html, " ")
}

// TestQueueIsTodays: the next day starts with an empty queue and lobby.
func TestQueueIsTodays(t *testing.T) {
	f := newFixture(t)
	a := f.book("+13125550165", 9, 30)
	ana, mgr := f.signedIn("ana"), f.signedIn("max")
	token := newLobbyToken(t, mgr, office)
	ana.postFollow("/clerk/checkin", url.Values{"office": {office}, "code": {a.Code}})
	ana.postFollow("/clerk/call", url.Values{"office": {office}, "desk": {"4"}})
	if st, _ := mgr.lobby(office, token); len(st.Called) != 1 || st.Calls != 1 {
		t.Fatalf("lobby today: %+v", st)
	}
	f.clock.Advance(24 * time.Hour)
	if st, _ := mgr.lobby(office, token); len(st.Called) != 0 || len(st.Waiting) != 0 || st.Calls != 0 {
		t.Fatalf("lobby the next day: %+v", st)
	}
}

// wrongLast returns token with its last character changed, never to itself.
func wrongLast(token string) string {
	last := "A"
	if strings.HasSuffix(token, "A") {
		last = "B"
	}
	return token[:len(token)-1] + last
}
