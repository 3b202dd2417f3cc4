package clerk

import (
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
// connection's peer, never a header a client can set. An IPv6 address
// counts as its /64, since one subscriber usually holds a whole /64. Behind
// a reverse proxy every clerk shares the proxy's address (see the README's
// clerk section).
func clientAddr(r *http.Request) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	a := ap.Addr().Unmap()
	if a.Is6() {
		if p, err := a.Prefix(64); err == nil {
			return p.String()
		}
	}
	return a.String()
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
	addr := clientAddr(r)
	failed := func() {
		s.render(w, r, http.StatusUnauthorized, "login", nil, pageData{
			Title: "Sign in",
			Flash: []flash{{Error: true, Text: loginFailed}},
			Data:  loginData{Username: name},
		})
	}
	if name == "" || password == "" || len(name) > 64 {
		failed()
		return
	}
	release, err := s.throttle.enter(r.Context(), nameKey(name), addrKey(addr))
	if err != nil {
		return // the client has gone
	}
	held := true
	defer func() {
		if held {
			release()
		}
	}()
	now := s.Now()
	role, hash, ok, err := s.Accounts.ClerkAccount(name)
	if err != nil {
		s.internalError(w, r, "sign in", err)
		return
	}
	if !ok {
		hash = dummyHash()
	}
	// Only an existing account's name goes into the audit log: a made-up
	// name may be a password typed into the wrong field.
	who := "-"
	if ok {
		who = name
	}

	if which, first := s.throttle.locked(now, name, addr); which != lockNone {
		held = false
		release() // the hash below is for timing only: let the next try in
		checkPassword(hash, password)
		if first {
			s.auditSignIn(who, "sign-in-refused: "+which+" locked")
		}
		failed()
		return
	}
	match, err := checkPassword(hash, password)
	if err != nil && ok {
		s.Log.Error("clerk sign in: stored password hash unreadable", "clerk", name)
	}
	if !ok || !match || (role != RoleClerk && role != RoleManager) {
		started := s.throttle.fail(now, name, addr, ok)
		held = false
		release()
		why := "sign-in-failed: wrong password"
		if !ok {
			why = "sign-in-failed: unknown name"
		}
		s.auditSignIn(who, why)
		for _, l := range started {
			s.auditSignIn(who, "lockout: "+l+" locked for 15 minutes")
		}
		failed()
		return
	}
	held = false
	release()
	token := s.sessions.create(name, now)
	s.setCookie(w, token)
	p := &principal{name: name, role: role, token: token}
	s.audit(p, "sign-in", "")
	http.Redirect(w, r, "/clerk/", http.StatusSeeOther)
}

// auditSignIn records a failed or refused sign-in. It never records the
// password or the source address.
func (s *server) auditSignIn(who, action string) {
	s.audit(&principal{name: who}, action, "")
}

type loginData struct{ Username string }

func (s *server) logout(w http.ResponseWriter, r *http.Request, p *principal) {
	s.sessions.end(p.token)
	s.clearCookie(w)
	s.audit(p, "sign-out", "")
	http.Redirect(w, r, "/clerk/login", http.StatusSeeOther)
}
