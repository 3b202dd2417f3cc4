package clerk

import (
	"net"
	"net/http"
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

// clientAddr is the address sign-in failures are counted against. Behind a
// reverse proxy every clerk shares the proxy's address; the limit then
// applies to the office as a whole, which errs on the safe side.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *server) login(w http.ResponseWriter, r *http.Request) {
	name := strings.ToLower(strings.TrimSpace(r.PostFormValue("username")))
	password := r.PostFormValue("password")
	now := s.Now()
	keys := []string{"account:" + name, "addr:" + clientAddr(r)}
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
	if s.throttle.locked(now, keys...) {
		failed()
		return
	}
	role, hash, ok, err := s.Accounts.ClerkAccount(name)
	if err != nil {
		s.internalError(w, r, "sign in", err)
		return
	}
	if !ok {
		hash = dummyHash()
	}
	match, err := checkPassword(hash, password)
	if err != nil {
		s.Log.Error("clerk sign in: stored password hash unreadable", "clerk", name)
	}
	if !ok || !match || (role != RoleClerk && role != RoleManager) {
		s.throttle.fail(now, keys...)
		failed()
		return
	}
	s.throttle.succeed(keys...)
	token := s.sessions.create(name, now)
	s.setCookie(w, token)
	p := &principal{name: name, role: role, token: token}
	s.audit(p, "sign-in", "")
	http.Redirect(w, r, "/clerk/", http.StatusSeeOther)
}

type loginData struct{ Username string }

func (s *server) logout(w http.ResponseWriter, r *http.Request, p *principal) {
	s.sessions.end(p.token)
	s.clearCookie(w)
	s.audit(p, "sign-out", "")
	http.Redirect(w, r, "/clerk/login", http.StatusSeeOther)
}
