package clerk_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cita-city/cita/clerk"
	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/scheduling"
	"github.com/cita-city/cita/storage"
)

// The pinned clock: Monday 30 November 2026, 10:00 in Chicago. City Hall
// (demo program) is open 09:00-17:00 with 15-minute slots and 4 desks.
var t0 = time.Date(2026, 11, 30, 10, 0, 0, 0, mustZone("America/Chicago"))

const (
	office    = "city-hall"
	password  = "correct horse battery"
	testPhone = "+13125550142" // fictional range
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// clock is a settable clock shared by the handler and the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeNotifier records closures and reaches everyone but one.
type fakeNotifier struct {
	mu    sync.Mutex
	calls []string
}

func (n *fakeNotifier) NotifyClosed(_ context.Context, office string, day scheduling.Date, cancelled []scheduling.Appointment) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls = append(n.calls, office+" "+day.String())
	return max(len(cancelled)-1, 0), nil
}

// fixture is the real clerk handler over real storage in a temp dir, the
// demo program and a cheap hasher.
type fixture struct {
	t        testing.TB
	program  *scheduling.Program
	store    *storage.Store
	bookings *scheduling.Service
	hasher   *identity.Hasher
	clock    *clock
	handler  http.Handler
	server   *httptest.Server
	logs     *lockedBuffer
	cfg      clerk.Config
}

// storeCounters is cmd/bot's adapter from storage's counters to the
// report's, for tests.
type storeCounters struct{ s *storage.Store }

func (c storeCounters) DayCounts() ([]clerk.DayCount, error) {
	list, err := c.s.Counters()
	out := make([]clerk.DayCount, len(list))
	for i, d := range list {
		out[i] = clerk.DayCount{Office: d.Office, Day: d.Day, Booked: d.Booked, Arrived: d.CheckedIn,
			NoShow: d.NoShow, Cancelled: d.Cancelled, WalkIns: d.WalkIns, ByLang: d.ByLang}
	}
	return out, err
}

func (c storeCounters) CountWalkIn(office string, day scheduling.Date, people int) error {
	return c.s.CountWalkIn(office, day, people)
}

type fixtureOption func(*clerk.Config)

func newFixture(t testing.TB, opts ...fixtureOption) *fixture {
	t.Helper()
	program := scheduling.Demo()
	store, err := storage.Open(filepath.Join(t.TempDir(), "cita.db"), storage.Options{NoSync: true, Location: program.Location})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := store.Check(); err != nil {
			t.Errorf("store check: %v", err)
		}
		store.Close()
	})
	key, err := identity.NewKey(1, scheduling.DateOf(t0), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := identity.NewHasher([]identity.Key{key}, identity.Params{Memory: 64, Time: 1, Threads: 1}, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, program: program, store: store, bookings: scheduling.NewService(program, store),
		hasher: hasher, clock: &clock{t: t0}, logs: &lockedBuffer{}}
	f.bookings.SetClosures(store) // as cmd/bot wires it
	cfg := clerk.Config{
		Program: program, Store: store, Bookings: f.bookings, IDs: hasher,
		Accounts: store, Closures: store, Audit: store,
		Lobby: store, Counters: storeCounters{store},
		Now: f.clock.Now, PlainHTTP: true,
		Log: slog.New(slog.NewTextHandler(f.logs, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	f.cfg = cfg
	f.handler, err = clerk.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/clerk/", f.handler)
	mux.Handle("/lobby/", f.handler)
	f.server = httptest.NewServer(mux)
	t.Cleanup(f.server.Close)
	f.addClerk("ana", storage.RoleClerk)
	f.addClerk("max", storage.RoleManager)
	return f
}

// lockedBuffer is a log sink the handler writes while the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (f *fixture) addClerk(name, role string) {
	f.t.Helper()
	if _, err := f.store.PutClerk(storage.ClerkAccount{Name: name, Role: role, Hash: clerk.HashPasswordCheap(password)}); err != nil {
		f.t.Fatal(err)
	}
}

// book books hh:mm today at office for address (a phone number, or any
// string for an anonymous resident), as a resident would have yesterday.
func (f *fixture) book(address string, hour, min int) scheduling.Appointment {
	f.t.Helper()
	ids, err := f.hasher.Identities(address, t0)
	if err != nil {
		f.t.Fatal(err)
	}
	start := scheduling.DateOf(t0).In(f.program.Location, hour, min)
	a, err := f.bookings.Book(ids[0], "es", office, start, 1, t0.Add(-24*time.Hour))
	if err != nil {
		f.t.Fatalf("book %02d:%02d: %v", hour, min, err)
	}
	return a
}

// client is a browser stand-in with a cookie jar that does not follow
// redirects, so tests see them.
type client struct {
	f *fixture
	*http.Client
}

func (f *fixture) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{f: f, Client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// signedIn returns a client signed in as name.
func (f *fixture) signedIn(name string) *client {
	f.t.Helper()
	c := f.client()
	resp := c.post("/clerk/login", url.Values{"username": {name}, "password": {password}})
	if resp.code != http.StatusSeeOther || resp.location != "/clerk/" {
		f.t.Fatalf("sign in %s: %d %s\n%s", name, resp.code, resp.location, resp.body)
	}
	return c
}

type response struct {
	code     int
	location string
	header   http.Header
	body     string
}

func (c *client) do(req *http.Request) response {
	c.f.t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		c.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header.Get("Location"), resp.Header, string(b)}
}

func (c *client) get(path string) response {
	c.f.t.Helper()
	req, _ := http.NewRequest("GET", c.f.server.URL+path, nil)
	return c.do(req)
}

func (c *client) post(path string, form url.Values, headers ...string) response {
	c.f.t.Helper()
	req, _ := http.NewRequest("POST", c.f.server.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

// postFollow posts and then gets the page it redirects to.
func (c *client) postFollow(path string, form url.Values) response {
	c.f.t.Helper()
	r := c.post(path, form)
	if r.code != http.StatusSeeOther {
		c.f.t.Fatalf("POST %s: %d, want 303\n%s", path, r.code, r.body)
	}
	return c.get(r.location)
}
