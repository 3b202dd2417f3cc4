package clerk

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
)

// loginFailed is the one message for every failed sign-in.
const loginFailed = "Sign-in failed. Check the name and password. After several failed tries, sign-in is paused for 15 minutes."

func (s *server) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.principal(w, r); ok {
		http.Redirect(w, r, "/clerk/", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", nil, pageData{Title: "Sign in"})
}

// clientAddr is the address sign-in failures are counted against: the
// connection's peer, never a header a client can set, unless the peer is
// one of Config.TrustedProxies; then it is the last address in
// X-Forwarded-For that is not a trusted proxy (each proxy appends the
// address it got the request from, so entries left of that one are the
// client's to invent). An IPv6 address counts as its /64, since one
// subscriber usually holds a whole /64.
func (s *server) clientAddr(r *http.Request) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	a := ap.Addr().Unmap()
	if s.trusted(a) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // a malformed entry: trust nothing left of it
			}
			a = hop.Unmap()
			if !s.trusted(a) {
				break
			}
		}
	}
	if a.Is6() {
		if p, err := a.Prefix(64); err == nil {
			return p.String()
		}
	}
	return a.String()
}

func (s *server) trusted(a netip.Addr) bool {
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// login checks a sign-in. Attempts on one name, and from one address, are
// checked one at a time (throttle.enter): a burst of guesses sent at once
// is counted like the same guesses sent in a row, so the lock holds after
// the fifth and no later try, not even the right password, gets in or
// clears it. A refused try still checks the password against the
// account's own hash (or the dummy one), so that a lock answers as slowly
// as a wrong password and its timing tells nothing.
func (s *server) login(w http.ResponseWriter, r *http.Request) {
	name := strings.ToLower(strings.TrimSpace(r.PostFormValue("username")))
	password := r.PostFormValue("password")
	if name == "" || password == "" || len(name) > 64 {
		s.loginFailed(w, r, name, attempt{who: "-"})
		return
	}
	a, err := s.attempt(r.Context(), name, password, s.clientAddr(r))
	switch {
	case err != nil && r.Context().Err() != nil:
		return // the client has gone
	case err != nil:
		s.internalError(w, r, "sign in", err)
		return
	case a.refusedHash != "":
		// For timing only, outside the gates so that the next try goes
		// on: a refusal takes as long as a wrong password.
		checkPassword(a.refusedHash, password)
		s.loginFailed(w, r, name, a)
		return
	case a.role == "":
		s.loginFailed(w, r, name, a)
		return
	}
	now := s.Now()
	token := s.sessions.create(name, now)
	s.setCookie(w, token)
	p := &principal{name: name, role: a.role, token: token}
	s.audit(p, "sign-in", "")
	http.Redirect(w, r, "/clerk/", http.StatusSeeOther)
}

// attempt is the outcome of one sign-in.
type attempt struct {
	role        string   // the account's role if the sign-in succeeded, else ""
	who         string   // the name for the audit log: the account's, or "-"
	audit       []string // audit entries for a failure or refusal
	refusedHash string   // set when a lock refused: the hash to check anyway
}

// attempt decides a sign-in of name from addr. It holds the gates of the
// name and of the address throughout, so attempts on either are decided
// one at a time: the lock is read, the password checked and the failure
// counted before the next attempt reads the lock.
func (s *server) attempt(ctx context.Context, name, password, addr string) (attempt, error) {
	release, err := s.throttle.enter(ctx, nameKey(name), addrKey(addr))
	if err != nil {
		return attempt{}, err
	}
	defer release()
	now := s.Now()
	role, hash, ok, err := s.Accounts.ClerkAccount(name)
	if err != nil {
		return attempt{}, err
	}
	// Only an existing account's name goes into the audit log: a made-up
	// name may be a password typed into the wrong field.
	a := attempt{who: "-"}
	if ok {
		a.who = name
	} else {
		hash = dummyHash()
	}
	if which, first := s.throttle.locked(now, name, addr); which != lockNone {
		a.refusedHash = hash
		if first {
			a.audit = []string{"sign-in-refused: " + which + " locked"}
		}
		return a, nil
	}
	match, err := checkPassword(hash, password)
	if err != nil && ok {
		s.Log.Error("clerk sign in: stored password hash unreadable", "clerk", name)
	}
	if ok && match && (role == RoleClerk || role == RoleManager) {
		a.role = role
		return a, nil
	}
	a.audit = []string{"sign-in-failed: wrong password"}
	if !ok {
		a.audit[0] = "sign-in-failed: unknown name"
	}
	for _, l := range s.throttle.fail(now, name, addr, ok) {
		a.audit = append(a.audit, "lockout: "+l+" locked for 15 minutes")
	}
	return a, nil
}

// loginFailed answers a failed sign-in, then writes its audit entries. The
// page is complete (render sets its length) and flushed first, so that the
// time of a disk write does not tell a wrong password (always audited)
// from a refusal by a lock (audited once per lock). Neither the password
// nor the source address is written.
func (s *server) loginFailed(w http.ResponseWriter, r *http.Request, name string, a attempt) {
	s.render(w, r, http.StatusUnauthorized, "login", nil, pageData{
		Title: "Sign in",
		Flash: []flash{{Error: true, Text: loginFailed}},
		Data:  loginData{Username: name},
	})
	if len(a.audit) > 0 {
		http.NewResponseController(w).Flush()
	}
	for _, e := range a.audit {
		s.audit(&principal{name: a.who}, e, "")
	}
}

type loginData struct{ Username string }

func (s *server) logout(w http.ResponseWriter, r *http.Request, p *principal) {
	s.sessions.end(p.token)
	s.clearCookie(w)
	s.audit(p, "sign-out", "")
	http.Redirect(w, r, "/clerk/login", http.StatusSeeOther)
}
