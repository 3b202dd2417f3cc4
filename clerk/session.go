package clerk

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// IdleTimeout ends a session this long after its last request.
const IdleTimeout = 30 * time.Minute

// MaxLifetime ends a session this long after its sign-in, however busy: a
// stolen cookie is good for a working day at most.
const MaxLifetime = 12 * time.Hour

// cookieName names the session cookie. Its value is a random token; the
// session itself lives only in this process's memory, so a restart signs
// everybody out and nothing about sessions reaches the disk.
const cookieName = "cita_clerk"

// session is one signed-in browser.
type session struct {
	name     string
	office   string  // office picked last, where the day list opens
	flash    []flash // messages for the next page shown
	created  time.Time
	lastSeen time.Time
}

// expired reports whether the session has ended by now, idle or too old.
func (sess *session) expired(now time.Time) bool {
	return now.Sub(sess.lastSeen) >= IdleTimeout || now.Sub(sess.created) >= MaxLifetime
}

// flash is a one-time message on the next page: what an action did.
type flash struct {
	Error bool
	Warn  bool // worth a second look, but not a failure
	Text  string
	Code  string // a confirmation code to show big (walk-ins), or ""
	Link  string // a link to show in full (a lobby screen's), or ""
}

// sessions are kept by the SHA-256 of their token.
type sessions struct {
	mu sync.Mutex
	m  map[[32]byte]*session
}

func newSessions() *sessions { return &sessions{m: map[[32]byte]*session{}} }

func tokenKey(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// create starts a session for name and returns its token. Any earlier
// session of name ends: one clerk, one signed-in browser, so a session left
// open on another computer dies when its owner signs in again.
func (ss *sessions) create(name string, now time.Time) string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics rather than return short)
	token := base64.RawURLEncoding.EncodeToString(b)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.sweep(now)
	for k, sess := range ss.m {
		if sess.name == name {
			delete(ss.m, k)
		}
	}
	ss.m[tokenKey(token)] = &session{name: name, created: now, lastSeen: now}
	return token
}

// get returns the live session of token and marks it used at now. A
// session idle for IdleTimeout, or signed in MaxLifetime ago, is gone.
func (ss *sessions) get(token string, now time.Time) (*session, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	k := tokenKey(token)
	sess, ok := ss.m[k]
	if !ok {
		return nil, false
	}
	if sess.expired(now) {
		delete(ss.m, k)
		return nil, false
	}
	if now.After(sess.lastSeen) {
		sess.lastSeen = now
	}
	return sess, true
}

// end deletes the session of token.
func (ss *sessions) end(token string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, tokenKey(token))
}

// endAll deletes every session of name (its account is gone).
func (ss *sessions) endAll(name string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for k, sess := range ss.m {
		if sess.name == name {
			delete(ss.m, k)
		}
	}
}

// sweep drops ended sessions; the caller holds mu.
func (ss *sessions) sweep(now time.Time) {
	for k, sess := range ss.m {
		if sess.expired(now) {
			delete(ss.m, k)
		}
	}
}

// addFlash queues a message for the session's next page.
func (ss *sessions) addFlash(sess *session, f flash) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	sess.flash = append(sess.flash, f)
}

// takeFlash returns and clears the queued messages.
func (ss *sessions) takeFlash(sess *session) []flash {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	f := sess.flash
	sess.flash = nil
	return f
}

func (ss *sessions) setOffice(sess *session, office string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	sess.office = office
}

func (ss *sessions) office(sess *session) string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return sess.office
}

// principal is the signed-in clerk of a request.
type principal struct {
	name  string
	role  string
	token string
	sess  *session
}

func (p *principal) manager() bool { return p.role == RoleManager }

// signedIn wraps h so that it runs only for a signed-in clerk with role
// (RoleClerk: any clerk; RoleManager: managers only). Without a session the
// browser goes to the sign-in page; with the wrong role it gets 403. The
// role is read from the account on every request, so a removed account or a
// changed role takes effect at once.
func (s *server) signedIn(role string, h func(http.ResponseWriter, *http.Request, *principal)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.principal(w, r)
		if !ok {
			http.Redirect(w, r, "/clerk/login", http.StatusSeeOther)
			return
		}
		if role == RoleManager && !p.manager() {
			s.errorPage(w, r, http.StatusForbidden, "Only a manager can open this page.")
			return
		}
		h(w, r, p)
	})
}

// principal returns the signed-in clerk of r, if any.
func (s *server) principal(w http.ResponseWriter, r *http.Request) (*principal, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" {
		return nil, false
	}
	sess, ok := s.sessions.get(c.Value, s.Now())
	if !ok {
		s.clearCookie(w)
		return nil, false
	}
	role, _, ok, err := s.Accounts.ClerkAccount(sess.name)
	if err != nil {
		s.Log.Error("clerk account lookup", "err", err)
		return nil, false
	}
	if !ok {
		s.sessions.endAll(sess.name)
		s.clearCookie(w)
		return nil, false
	}
	return &principal{name: sess.name, role: role, token: c.Value, sess: sess}, true
}

func (s *server) setCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		Value:    token,
		Path:     "/clerk/",
		HttpOnly: true,
		Secure:   !s.PlainHTTP,
		SameSite: http.SameSiteStrictMode,
	})
}

func (s *server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		Value:    "",
		Path:     "/clerk/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   !s.PlainHTTP,
		SameSite: http.SameSiteStrictMode,
	})
}
