package clerk

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/cita-city/cita/scheduling"
)

// Roles of clerk accounts. A manager can do everything a clerk can, and
// also close offices, see the capacity chart and read the audit log.
const (
	RoleClerk   = "clerk"
	RoleManager = "manager"
)

// Appointments is the part of the appointment store the pages use
// (scheduling.Store has it).
type Appointments interface {
	ByCode(code string) (scheduling.Appointment, error)
	SetStatus(code string, s scheduling.Status) (scheduling.Appointment, error)
	// CheckIn checks in arrived people of the party booked under code.
	CheckIn(code string, arrived int) (scheduling.Appointment, error)
	Find(ids ...scheduling.Identity) (scheduling.Appointment, error)
	Taken(office string, from, to time.Time) (map[int64]int, error)
	Between(office string, from, to time.Time) ([]scheduling.Appointment, error)
}

// Bookings books walk-ins (scheduling.Service has it): like a resident's
// booking, but without the lead time, since the resident is at the desk.
type Bookings interface {
	WalkInSlots(office string, day scheduling.Date, now time.Time) ([]scheduling.Slot, error)
	// BookWalkIn books party people (1..max_party) in one slot.
	BookWalkIn(id scheduling.Identity, lang, office string, start time.Time, party int, now time.Time) (scheduling.Appointment, error)
}

// Identities hashes a resident's address (identity.Hasher has it). [0] is
// the identity new bookings use.
type Identities interface {
	Identities(address string, now time.Time) ([]scheduling.Identity, error)
}

// Accounts looks up clerk accounts (storage.Store has it).
type Accounts interface {
	// ClerkAccount returns the role and argon2id password hash (see
	// HashPassword) of the account name; ok is false if there is none.
	ClerkAccount(name string) (role, hash string, ok bool, err error)
}

// Closures records the days a manager closed an office (storage.Store has
// it), on top of the program file's closures.
type Closures interface {
	CloseOffice(office string, day scheduling.Date) error
	ReopenOffice(office string, day scheduling.Date) error
	Closed(office string, day scheduling.Date) (bool, error)
}

// Audit is the log of clerk actions (storage.Store has it; it keeps
// entries 90 days).
type Audit interface {
	AppendAudit(clerk, action, code string, at time.Time) error
	// EachAudit calls fn with entries newest first until fn returns false.
	EachAudit(fn func(at time.Time, clerk, action, code string) bool) error
}

// Notifier tells residents that their appointment was cancelled because
// the office closed for the day, and cancels their pending reminders. The
// SMS channel implements it. It returns how many residents it reached.
type Notifier interface {
	NotifyClosed(ctx context.Context, office string, day scheduling.Date, cancelled []scheduling.Appointment) (told int, err error)
}

// Config is what the clerk pages need. Every field but Notifier and Log
// is required.
type Config struct {
	Program  *scheduling.Program
	Store    Appointments
	Bookings Bookings
	IDs      Identities
	Accounts Accounts
	Closures Closures
	Audit    Audit
	// Notifier tells residents of a closed day; nil means nobody is told,
	// and the page says how many could not be.
	Notifier Notifier
	// Now is the clock.
	Now func() time.Time
	// PlainHTTP drops the Secure flag from the session cookie: only for an
	// operator serving plain http on localhost.
	PlainHTTP bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed for counting failed sign-ins per address. Empty: the header
	// is ignored and the connection's peer is the address.
	TrustedProxies []netip.Prefix
	// Lobby keeps the waiting-room screens' token hashes; nil turns the
	// screens off (every request gets 403).
	Lobby LobbyTokens
	// Counters are the closed days' anonymous counts for the managers'
	// report; nil leaves the report empty.
	Counters Counters
	// Log gets operational errors (never resident data); nil discards them.
	Log *slog.Logger
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// server is the clerk app behind the handler New returns.
type server struct {
	Config
	sessions *sessions
	throttle *throttle
	lookups  *lookups
	queue    *queues
	pages    map[string]*template.Template
}

// contentSecurityPolicy allows only this origin's style sheet and script,
// and no inline script or style.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// New returns the clerk app, to be mounted at /clerk/ and /lobby/ (it sees
// full paths).
func New(c Config) (http.Handler, error) {
	switch {
	case c.Program == nil || len(c.Program.Offices) == 0:
		return nil, errors.New("clerk: no program or no offices")
	case c.Store == nil, c.Bookings == nil, c.IDs == nil, c.Accounts == nil, c.Closures == nil, c.Audit == nil:
		return nil, errors.New("clerk: a store, bookings, identities, accounts, closures and audit are required")
	case c.Now == nil:
		return nil, errors.New("clerk: no clock")
	}
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &server{Config: c, sessions: newSessions(), throttle: newThrottle(), lookups: newLookups(), queue: newQueues(), pages: pages}

	mux := http.NewServeMux()
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	mux.Handle("GET /clerk/static/", http.StripPrefix("/clerk/static/", staticFiles(http.FileServerFS(static))))
	mux.HandleFunc("GET /clerk/login", s.loginPage)
	mux.HandleFunc("POST /clerk/login", s.login)
	mux.Handle("POST /clerk/logout", s.signedIn(RoleClerk, s.logout))

	mux.Handle("GET /clerk/{$}", s.signedIn(RoleClerk, s.dayPage))
	mux.Handle("POST /clerk/checkin", s.signedIn(RoleClerk, s.checkInByCode))
	mux.Handle("POST /clerk/checkin-phone", s.signedIn(RoleClerk, s.checkInByPhone))
	mux.Handle("POST /clerk/call", s.signedIn(RoleClerk, s.call))
	mux.Handle("POST /clerk/served", s.signedIn(RoleClerk, s.served))
	mux.Handle("POST /clerk/noshow", s.signedIn(RoleClerk, s.noShow))
	mux.Handle("POST /clerk/undo", s.signedIn(RoleClerk, s.undo))
	mux.Handle("POST /clerk/cancel", s.signedIn(RoleClerk, s.cancel))
	mux.Handle("GET /clerk/walkin", s.signedIn(RoleClerk, s.walkInPage))
	mux.Handle("POST /clerk/walkin", s.signedIn(RoleClerk, s.walkIn))
	mux.Handle("GET /clerk/print", s.signedIn(RoleClerk, s.printPage))
	mux.Handle("GET /clerk/day.csv", s.signedIn(RoleClerk, s.dayCSV))

	mux.Handle("GET /clerk/close", s.signedIn(RoleManager, s.closePage))
	mux.Handle("POST /clerk/close", s.signedIn(RoleManager, s.closeOffice))
	mux.Handle("POST /clerk/reopen", s.signedIn(RoleManager, s.reopenOffice))
	mux.Handle("GET /clerk/capacity", s.signedIn(RoleManager, s.capacityPage))
	mux.Handle("GET /clerk/audit", s.signedIn(RoleManager, s.auditPage))
	mux.Handle("GET /clerk/report", s.signedIn(RoleManager, s.reportPage))
	mux.Handle("GET /clerk/report.csv", s.signedIn(RoleManager, s.reportCSV))
	mux.Handle("GET /clerk/lobby", s.signedIn(RoleManager, s.lobbyAdmin))
	mux.Handle("POST /clerk/lobby-token", s.signedIn(RoleManager, s.lobbyToken))
	mux.Handle("POST /clerk/lobby-revoke", s.signedIn(RoleManager, s.lobbyRevoke))

	// The waiting-room screen: no session, a display token instead.
	mux.HandleFunc("GET /lobby/{$}", s.lobbyScreen)
	mux.HandleFunc("GET /lobby/state", s.lobbyState)

	// Every other /clerk/ path: a session first, so that nothing under
	// /clerk/ tells a stranger more than "sign in".
	mux.Handle("/clerk/", s.signedIn(RoleClerk, func(w http.ResponseWriter, r *http.Request, _ *principal) {
		s.errorPage(w, r, http.StatusNotFound, "There is no such page.")
	}))

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Forbidden: this form was sent from another site.", http.StatusForbidden)
	}))
	return secureHeaders(cop.Handler(limitBody(mux))), nil
}

// secureHeaders sets the headers every response carries.
func secureHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// staticFiles lets the browser cache the embedded files for an hour.
func staticFiles(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "private, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// maxForm bounds request bodies: every form here is a few short fields.
const maxForm = 16 << 10

func limitBody(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		}
		h.ServeHTTP(w, r)
	})
}

// audit records an action; a failure is logged, not shown: the action
// itself already happened.
func (s *server) audit(p *principal, action, code string) {
	if err := s.Audit.AppendAudit(p.name, action, code, s.Now()); err != nil {
		s.Log.Error("clerk audit", "action", action, "err", err)
	}
}

// internalError logs err (which never carries resident data: store and
// scheduling errors name no phone number) and shows a generic page.
func (s *server) internalError(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.Log.Error("clerk "+what, "err", err)
	s.errorPage(w, r, http.StatusInternalServerError, fmt.Sprintf("Something went wrong (%s). Try again; if it keeps happening, tell IT.", what))
}
