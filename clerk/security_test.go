package clerk_test

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cita-city/cita/clerk"
	"github.com/cita-city/cita/scheduling"
	"github.com/cita-city/cita/storage"
)

// bookAt books address at office on day, hh:mm, as a resident would have
// the day before t0.
func (f *fixture) bookAt(address, office string, day scheduling.Date, hour, min int) scheduling.Appointment {
	f.t.Helper()
	ids, err := f.hasher.Identities(address, t0)
	if err != nil {
		f.t.Fatal(err)
	}
	a, err := f.bookings.Book(ids[0], "en", office, day.In(f.program.Location, hour, min), 1, t0.Add(-24*time.Hour))
	if err != nil {
		f.t.Fatalf("book %s %s %02d:%02d: %v", office, day, hour, min, err)
	}
	return a
}

// auditEntries returns the audit log, oldest first, as "clerk|action|code".
func (f *fixture) auditEntries() []string {
	f.t.Helper()
	var list []string
	if err := f.store.EachAudit(func(_ time.Time, clerk, action, code string) bool {
		list = append(list, clerk+"|"+action+"|"+code)
		return true
	}); err != nil {
		f.t.Fatal(err)
	}
	slices.Reverse(list)
	return list
}

func countPrefix(list []string, prefix string) int {
	n := 0
	for _, e := range list {
		if strings.HasPrefix(e, prefix) {
			n++
		}
	}
	return n
}

// flashes returns the flash messages of a page.
func flashes(body string) string {
	var b strings.Builder
	for _, part := range strings.Split(body, `<div class="flash`)[1:] {
		b.WriteString(part[:strings.Index(part, "</div>")])
		b.WriteString("\n")
	}
	return b.String()
}

// A phone look-up finds only an appointment at this counter today, and
// says nothing else about appointments elsewhere or on other days: the
// answer for a number booked at another office or on another day is the
// same as for a number with no appointment at all.
func TestPhoneLookupOnlyAtThisCounter(t *testing.T) {
	f := newFixture(t)
	today := scheduling.DateOf(t0)
	elsewhere := f.bookAt("+13125550160", "northwest", today, 11, 0)
	tomorrow := f.bookAt("+13125550161", office, today.AddDays(1), 9, 0)
	here := f.bookAt("+13125550162", office, today, 11, 0)
	c := f.signedIn("ana")

	const nothing = "This counter has no appointment for that phone number today."
	for _, tc := range []struct {
		name, office, phone string
		hidden              scheduling.Appointment
	}{
		{"booked at another office today", office, "(312) 555-0160", elsewhere},
		{"booked here tomorrow", office, "312-555-0161", tomorrow},
		{"booked here, looked up at another office", "northwest", "312 555 0162", here},
		{"no appointment at all", office, "312 555 0163", scheduling.Appointment{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := flashes(c.postFollow("/clerk/checkin-phone", url.Values{"office": {tc.office}, "phone": {tc.phone}}).body)
			if !strings.Contains(got, nothing) {
				t.Fatalf("flash %q, want %q", got, nothing)
			}
			if tc.hidden.Code == "" {
				return
			}
			at := tc.hidden.Start.In(f.program.Location)
			for _, leak := range []string{tc.hidden.Code, at.Format("15:04"), at.Format("2 Jan"), "Northwest", "City Hall"} {
				if strings.Contains(got, leak) {
					t.Errorf("flash %q tells %q", got, leak)
				}
			}
			if a, _ := f.store.ByCode(tc.hidden.Code); a.Status != scheduling.StatusBooked {
				t.Errorf("%s is %v, want booked", a.Code, a.Status)
			}
		})
	}
	// At its own counter, the same look-up checks the resident in.
	if got := flashes(c.postFollow("/clerk/checkin-phone", url.Values{"office": {office}, "phone": {"312 555 0162"}}).body); !strings.Contains(got, "Checked in "+here.Code) {
		t.Fatalf("look-up at its own counter: %q", got)
	}

	// The walk-in form tells only that the person holds an appointment.
	start := today.In(f.program.Location, 14, 0).Unix()
	body := c.postFollow("/clerk/walkin", url.Values{"office": {"northwest"}, "date": {today.String()}, "lang": {"en"},
		"start": {strconv.FormatInt(start, 10)}, "phone": {"312 555 0161"}}).body
	got := flashes(body)
	if !strings.Contains(got, "This person already holds an appointment. Ask for its confirmation code and use that.") {
		t.Fatalf("walk-in for a booked number: %q", got)
	}
	for _, leak := range []string{tomorrow.Code, "Tue", "1 Dec", "09:00", "City Hall"} {
		if strings.Contains(got, leak) {
			t.Errorf("walk-in flash %q tells %q", got, leak)
		}
	}

	// Every look-up is audited: clerk, office, found or not; never the
	// number or its hash.
	entries := f.auditEntries()
	want := []string{
		"ana|phone-lookup city-hall not-found|",
		"ana|phone-lookup city-hall not-found|",
		"ana|phone-lookup northwest not-found|",
		"ana|phone-lookup city-hall not-found|",
		"ana|phone-lookup city-hall found|",
		"ana|check-in-by-phone|" + here.Code,
		"ana|walk-in-phone-lookup northwest found|",
	}
	var lookups []string
	for _, e := range entries {
		if strings.Contains(e, "lookup") || strings.Contains(e, "by-phone") {
			lookups = append(lookups, e)
		}
	}
	if !slices.Equal(lookups, want) {
		t.Fatalf("audit log look-ups:\n%s\nwant\n%s", strings.Join(lookups, "\n"), strings.Join(want, "\n"))
	}
	all := strings.Join(entries, "\n")
	for _, phone := range []string{"+13125550160", "+13125550161", "+13125550162", "+13125550163"} {
		ids, _ := f.hasher.Identities(phone, t0)
		for _, spelling := range []string{phone[2:], phone[5:], hex.EncodeToString(ids[0].Hash[:]), base64.RawURLEncoding.EncodeToString(ids[0].Hash[:]), base64.StdEncoding.EncodeToString(ids[0].Hash[:])} {
			if strings.Contains(all, spelling) || strings.Contains(f.logs.String(), spelling) {
				t.Errorf("audit log or logs hold %q", spelling)
			}
		}
	}
}

// Phone look-ups are limited per clerk: a burst of 10, then one every 3 s.
// Over the limit the clerk is told so and no look-up is made.
func TestPhoneLookupRateLimited(t *testing.T) {
	f := newFixture(t)
	a := f.book(testPhone, 11, 0)
	c := f.signedIn("ana")
	lookup := func(phone string) string {
		return flashes(c.postFollow("/clerk/checkin-phone", url.Values{"office": {office}, "phone": {phone}}).body)
	}
	for i := range 10 {
		if got := lookup("312 555 01" + strconv.Itoa(70+i)); !strings.Contains(got, "no appointment for that phone number") {
			t.Fatalf("look-up %d: %q", i+1, got)
		}
	}
	// The 11th and 12th at once are refused, even for a number booked
	// here: nothing is looked up, nobody checked in.
	for range 2 {
		if got := lookup(testPhone); !strings.Contains(got, "Too many phone look-ups") {
			t.Fatalf("over the limit: %q", got)
		}
	}
	if got, _ := f.store.ByCode(a.Code); got.Status != scheduling.StatusBooked {
		t.Fatalf("a refused look-up checked %s in", a.Code)
	}
	// A new sign-in does not refill the allowance, and a walk-in with a
	// number is a look-up too.
	c = f.signedIn("ana")
	start := scheduling.DateOf(t0).In(f.program.Location, 14, 0).Unix()
	body := c.postFollow("/clerk/walkin", url.Values{"office": {office}, "date": {"2026-11-30"}, "lang": {"en"},
		"start": {strconv.FormatInt(start, 10)}, "phone": {"312 555 0180"}}).body
	if got := flashes(body); !strings.Contains(got, "Too many phone look-ups") {
		t.Fatalf("walk-in over the limit: %q", got)
	}
	// Another clerk has their own allowance.
	if got := flashes(f.signedIn("max").postFollow("/clerk/checkin-phone", url.Values{"office": {office}, "phone": {"312 555 0181"}}).body); strings.Contains(got, "Too many") {
		t.Fatalf("another clerk is limited: %q", got)
	}

	f.clock.Advance(3 * time.Second)
	if got := lookup(testPhone); !strings.Contains(got, "Checked in "+a.Code) {
		t.Fatalf("after 3 s: %q", got)
	}
	entries := f.auditEntries()
	if n := countPrefix(entries, "ana|phone-lookup city-hall"); n != 11 {
		t.Errorf("%d look-ups audited for ana, want 11:\n%s", n, strings.Join(entries, "\n"))
	}
	// One entry per run of refusals, not one per refusal.
	if n := countPrefix(entries, "ana|phone-lookup-refused city-hall: rate limit"); n != 1 {
		t.Errorf("%d refusals audited, want 1:\n%s", n, strings.Join(entries, "\n"))
	}
}

// 100 wrong passwords and the right one, sent at once from one address,
// are checked one at a time: five wrong ones are checked and lock the
// address, the rest are refused unchecked; the right one gets in only if it
// came before the lock, and nothing clears the lock.
func TestSignInParallelGuesses(t *testing.T) {
	f := newFixture(t)
	const addr = "203.0.113.50"
	var wg sync.WaitGroup
	codes := make([]int, 101)
	start := make(chan struct{})
	for i := range codes {
		wg.Go(func() {
			pw := "wrong password " + strconv.Itoa(i)
			if i == 50 {
				pw = password
			}
			<-start
			codes[i] = login(f, "ana", pw, addr).Code
		})
	}
	close(start)
	wg.Wait()
	for i, code := range codes {
		if i != 50 && code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i, code)
		}
	}
	entries := f.auditEntries()
	if n := countPrefix(entries, "ana|sign-in-failed: wrong password"); n != 5 {
		t.Errorf("%d wrong passwords were checked, want 5 (the rest refused by the lock):\n%s", n, strings.Join(entries, "\n"))
	}
	if n := countPrefix(entries, "ana|lockout: address locked"); n != 1 {
		t.Errorf("%d address lockouts audited, want 1", n)
	}
	if n := countPrefix(entries, "ana|sign-in-refused: address locked"); n != 1 {
		t.Errorf("%d refusals audited, want 1 (the first of the lock)", n)
	}
	signedIn := countPrefix(entries, "ana|sign-in|")
	if (codes[50] == http.StatusSeeOther) != (signedIn == 1) {
		t.Errorf("right password answered %d, %d sign-ins audited", codes[50], signedIn)
	}
	t.Logf("the right password, among 100 wrong ones at once, answered %d", codes[50])
	// Once locked, a second burst with the right password in it is refused
	// whole, and nothing in it is checked or clears the lock.
	var second [101]int
	start = make(chan struct{})
	for i := range second {
		wg.Go(func() {
			pw := "wrong password " + strconv.Itoa(i)
			if i == 50 {
				pw = password
			}
			<-start
			second[i] = login(f, "ana", pw, addr).Code
		})
	}
	close(start)
	wg.Wait()
	for i, code := range second {
		if code != http.StatusUnauthorized {
			t.Errorf("second burst, try %d (right password: %v): %d, want 401", i, i == 50, code)
		}
	}
	if n := countPrefix(f.auditEntries(), "ana|sign-in-failed"); n != 5 {
		t.Errorf("%d passwords checked after both bursts, want still 5", n)
	}
	if rec := login(f, "ana", password, addr); rec.Code != http.StatusUnauthorized {
		t.Fatalf("after the bursts, from the same address: %d, want 401", rec.Code)
	}
	for _, e := range entries {
		if strings.Contains(e, "wrong password ") || strings.Contains(e, password) || strings.Contains(e, addr) {
			t.Errorf("audit entry %q holds a password or the address", e)
		}
	}
}

// An outsider guessing from one address locks that address only: the
// clerk still signs in from elsewhere. IPv6 addresses count by /64.
func TestLockoutFromOneAddressSparesOthers(t *testing.T) {
	f := newFixture(t)
	for i := range 20 {
		login(f, "ana", "wrong password "+strconv.Itoa(i), "203.0.113.66")
	}
	if rec := login(f, "ana", password, "203.0.113.66"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("right password from the guessing address: %d, want 401", rec.Code)
	}
	if rec := login(f, "ana", password, "198.51.100.20"); rec.Code != http.StatusSeeOther {
		t.Fatalf("right password from the clerk's desk: %d, want 303", rec.Code)
	}

	// Five guesses from five addresses of one IPv6 /64 lock that /64.
	for i := range 5 {
		login(f, "max", "wrong password", "[2001:db8:1:2::"+strconv.Itoa(i+1)+"]")
	}
	if rec := login(f, "max", password, "[2001:db8:1:2::99]"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("right password from the same /64: %d, want 401", rec.Code)
	}
	if rec := login(f, "max", password, "[2001:db8:1:3::1]"); rec.Code != http.StatusSeeOther {
		t.Fatalf("right password from another /64: %d, want 303", rec.Code)
	}

	want := []string{
		"ana|sign-in-failed: wrong password|", "ana|sign-in-failed: wrong password|", "ana|sign-in-failed: wrong password|",
		"ana|sign-in-failed: wrong password|", "ana|sign-in-failed: wrong password|", "ana|lockout: address locked for 15 minutes|",
		"ana|sign-in-refused: address locked|",
		"ana|sign-in|",
	}
	if got := f.auditEntries(); !slices.Equal(got[:len(want)], want) {
		t.Fatalf("audit log:\n%s\nwant it to start\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A made-up name is not written down (it may be a mistyped password).
	login(f, "correct horse", "x", "198.51.100.30")
	if got := f.auditEntries(); got[len(got)-1] != "-|sign-in-failed: unknown name|" {
		t.Fatalf("last entry %q", got[len(got)-1])
	}
}

// A refused sign-in takes as long as a wrong password: both check the
// password against the account's real argon2id hash. Wrong and refused
// tries alternate, so that a change in the machine's load hits both, and
// the medians are compared with a generous bound: only their order matters
// (the lock used to answer in 1.5 ms, a wrong password in ~40 ms).
func TestLockedAnswersAsSlowlyAsWrong(t *testing.T) {
	f := newFixture(t)
	for _, name := range []string{"real", "real2"} {
		h, err := clerk.HashPassword(password)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.PutClerk(storage.ClerkAccount{Name: name, Role: storage.RoleClerk, Hash: h}); err != nil {
			t.Fatal(err)
		}
	}
	timed := func(name, pw, addr string) time.Duration {
		start := time.Now()
		if rec := login(f, name, pw, addr); rec.Code != http.StatusUnauthorized {
			t.Fatalf("sign-in of %s from %s answered %d, want 401", name, addr, rec.Code)
		}
		return time.Since(start)
	}
	const lockedAddr = "203.0.113.77"
	for range 5 {
		timed("real2", "wrong password", lockedAddr)
	}
	// Wrong passwords for "real" from fresh addresses (7 failures: short
	// of the name lock); "real2" from the locked address, right password
	// or not.
	var wrong, locked []time.Duration
	for i := range 7 {
		wrong = append(wrong, timed("real", "wrong password", "198.51.100."+strconv.Itoa(100+i)))
		pw := "wrong password"
		if i%2 == 0 {
			pw = password
		}
		locked = append(locked, timed("real2", pw, lockedAddr))
	}
	median := func(d []time.Duration) time.Duration { slices.Sort(d); return d[len(d)/2] }
	mw, ml := median(wrong), median(locked)
	t.Logf("median answer: wrong password %v, locked %v", mw, ml)
	if ml*3 < mw || mw*3 < ml {
		t.Fatalf("locked answers in %v, a wrong password in %v: more than 3x apart", ml, mw)
	}
	entries := f.auditEntries()
	if n := countPrefix(entries, "real2|sign-in-refused: address locked"); n != 1 {
		t.Fatalf("the lock did not refuse: %d refusals audited", n)
	}
	if n := countPrefix(entries, "real|sign-in-failed: wrong password"); n != 7 {
		t.Fatalf("%d wrong passwords for real audited, want 7", n)
	}
}

// get returns the status of GET /clerk/ with cookie ck.
func getWith(f *fixture, ck *http.Cookie) int {
	req := httptest.NewRequest("GET", "/clerk/", nil)
	req.AddCookie(ck)
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return rec.Code
}

// A session ends 12 hours after sign-in however busy it is.
func TestSessionAbsoluteLifetime(t *testing.T) {
	f := newFixture(t)
	ck := login(f, "ana", password, "127.0.0.1").Result().Cookies()[0]
	for elapsed := time.Duration(0); elapsed < clerk.MaxLifetime; elapsed += 20 * time.Minute {
		if code := getWith(f, ck); code != http.StatusOK {
			t.Fatalf("%v after sign-in, in use every 20 minutes: %d, want 200", elapsed, code)
		}
		f.clock.Advance(20 * time.Minute)
	}
	if code := getWith(f, ck); code != http.StatusSeeOther {
		t.Fatalf("12 h after sign-in: %d, want 303 to the sign-in page", code)
	}
	// Signing in again gives a new 12 hours.
	ck = login(f, "ana", password, "127.0.0.1").Result().Cookies()[0]
	if code := getWith(f, ck); code != http.StatusOK {
		t.Fatalf("new sign-in: %d", code)
	}
}

// Signing in again ends the clerk's earlier session: its cookie is dead.
func TestSignInAgainEndsOldSession(t *testing.T) {
	f := newFixture(t)
	old := login(f, "ana", password, "127.0.0.1").Result().Cookies()[0]
	other := login(f, "max", password, "127.0.0.1").Result().Cookies()[0]
	if code := getWith(f, old); code != http.StatusOK {
		t.Fatalf("first session: %d", code)
	}
	f.clock.Advance(time.Minute)
	fresh := login(f, "ana", password, "198.51.100.40").Result().Cookies()[0]
	if code := getWith(f, old); code != http.StatusSeeOther {
		t.Fatalf("old cookie after signing in again: %d, want 303", code)
	}
	if code := getWith(f, fresh); code != http.StatusOK {
		t.Fatalf("new cookie: %d, want 200", code)
	}
	if code := getWith(f, other); code != http.StatusOK {
		t.Fatalf("another clerk's session: %d, want 200", code)
	}
}

// loginVia posts a sign-in from peer, with an X-Forwarded-For header.
func loginVia(f *fixture, name, pw, peer, forwarded string) int {
	req := httptest.NewRequest("POST", "/clerk/login", strings.NewReader(url.Values{"username": {name}, "password": {pw}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", forwarded)
	req.RemoteAddr = peer + ":40000"
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return rec.Code
}

// X-Forwarded-For counts only when the peer is a configured proxy, and
// then only its last untrusted entry: what the proxy itself saw.
func TestForwardedForOnlyFromTrustedProxies(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
		// the guesser's five tries and the clerk's try afterwards
		guessPeer, guessXFF, clerkPeer, clerkXFF string
		clerkGetsIn                              bool
	}{
		{"no proxies configured: the header is ignored", nil,
			"198.51.100.1", "203.0.113.1", "198.51.100.1", "203.0.113.2", false},
		{"behind a trusted proxy: clients counted apart", proxies,
			"10.0.0.2", "203.0.113.1", "10.0.0.2", "203.0.113.2", true},
		{"a spoofed entry left of the real one is ignored", proxies,
			"10.0.0.2", "192.0.2.77, 203.0.113.1", "10.0.0.2", "192.0.2.99, 203.0.113.1", false},
		{"two trusted hops are skipped", proxies,
			"10.0.0.2", "203.0.113.1, 10.9.9.9", "10.0.0.3", "203.0.113.2, 10.9.9.9", true},
		{"an untrusted peer cannot claim another address", proxies,
			"198.51.100.1", "203.0.113.1", "198.51.100.1", "203.0.113.2", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *clerk.Config) { c.TrustedProxies = tc.trusted })
			for range 5 {
				if code := loginVia(f, "ana", "wrong password", tc.guessPeer, tc.guessXFF); code != http.StatusUnauthorized {
					t.Fatalf("guess: %d", code)
				}
			}
			code := loginVia(f, "ana", password, tc.clerkPeer, tc.clerkXFF)
			if got := code == http.StatusSeeOther; got != tc.clerkGetsIn {
				t.Fatalf("clerk after the guesses: %d, want sign-in %v", code, tc.clerkGetsIn)
			}
		})
	}
}
