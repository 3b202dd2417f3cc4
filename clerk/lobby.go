package clerk

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// LobbyTokens keeps the hash of each office's waiting-room display token
// (storage.Store has it). Only a SHA-256 of a token is ever stored.
type LobbyTokens interface {
	SetLobbyToken(office string, hash [32]byte) error
	RevokeLobbyToken(office string) error
	LobbyToken(office string) (hash [32]byte, ok bool, err error)
}

// NewLobbyToken returns a new random display token and the hash to store.
// The token is 32 random bytes: guessing one is hopeless, so the lobby
// needs no sign-in throttle.
func NewLobbyToken() (token string, hash [32]byte) {
	b := make([]byte, 32)
	rand.Read(b) // never fails
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, sha256.Sum256([]byte(token))
}

// LobbyURL is the waiting-room screen of office under base (the public
// URL of the server, such as https://cita.example.org).
func LobbyURL(base, office, token string) string {
	return strings.TrimRight(base, "/") + "/lobby/?" + url.Values{"office": {office}, "token": {token}}.Encode()
}

// lobbyPolicy is the lobby's Content-Security-Policy: the clerk pages'
// plus connect-src, for the script that polls the queue.
const lobbyPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

// lobbyAllowed checks the office and token of a lobby request, in
// constant time against the stored hash. Any failure is a 403 that says
// nothing of which part was wrong.
func (s *server) lobbyAllowed(w http.ResponseWriter, r *http.Request) (officeID string, ok bool) {
	q := r.URL.Query()
	officeID, token := q.Get("office"), q.Get("token")
	deny := func() (string, bool) {
		http.Error(w, "Forbidden: this screen needs the office's display link (ask a manager).", http.StatusForbidden)
		return "", false
	}
	if _, known := s.Program.Office(officeID); !known || token == "" || s.Lobby == nil {
		return deny()
	}
	want, has, err := s.Lobby.LobbyToken(officeID)
	if err != nil {
		s.Log.Error("lobby token", "err", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return "", false
	}
	got := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 || !has {
		return deny()
	}
	return officeID, true
}

type lobbyPage struct {
	OfficeID, Office string
	Last             *lobbyCall
	Earlier          []lobbyCall
	Waiting          []string
	Calls            uint64
}

// lobbyScreen is the waiting room's full-screen page: codes called and
// their desks, the last call big, the next codes waiting. Codes and desks
// only: nothing else about a resident.
func (s *server) lobbyScreen(w http.ResponseWriter, r *http.Request) {
	office, ok := s.lobbyAllowed(w, r)
	if !ok {
		return
	}
	v := s.queue.lobby(office, s.today())
	d := lobbyPage{OfficeID: office, Office: s.officeName(office), Waiting: v.Waiting, Calls: v.Calls}
	if len(v.Called) > 0 {
		d.Last, d.Earlier = &v.Called[0], v.Called[1:]
	}
	w.Header().Set("Content-Security-Policy", lobbyPolicy)
	s.render(w, r, http.StatusOK, "lobby", nil, pageData{Title: "Waiting room", Data: d})
}

// lobbyState is the queue of the lobby screen as JSON; the screen's script
// asks for it every second.
func (s *server) lobbyState(w http.ResponseWriter, r *http.Request) {
	office, ok := s.lobbyAllowed(w, r)
	if !ok {
		return
	}
	b, err := json.Marshal(s.queue.lobby(office, s.today()))
	if err != nil {
		s.internalError(w, r, "lobby", err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

type lobbyAdminRow struct {
	ID, Name string
	HasToken bool
}

// lobbyAdmin lists the offices and whether each has a display token; a
// manager makes or revokes them here.
func (s *server) lobbyAdmin(w http.ResponseWriter, r *http.Request, p *principal) {
	var rows []lobbyAdminRow
	for _, o := range s.Program.Offices {
		row := lobbyAdminRow{ID: o.ID, Name: o.Name(s.Program.Languages[0])}
		if s.Lobby != nil {
			_, has, err := s.Lobby.LobbyToken(o.ID)
			if err != nil {
				s.internalError(w, r, "lobby tokens", err)
				return
			}
			row.HasToken = has
		}
		rows = append(rows, row)
	}
	s.render(w, r, http.StatusOK, "lobbyadmin", p, pageData{Title: "Waiting-room screens", Data: rows})
}

// lobbyToken makes a new display token for the posted office (the old one
// stops working) and shows its link once.
func (s *server) lobbyToken(w http.ResponseWriter, r *http.Request, p *principal) {
	defer http.Redirect(w, r, "/clerk/lobby", http.StatusSeeOther)
	office := r.PostFormValue("office")
	if _, ok := s.Program.Office(office); !ok || s.Lobby == nil {
		s.flashError(p, "Pick an office.")
		return
	}
	token, hash := NewLobbyToken()
	if err := s.Lobby.SetLobbyToken(office, hash); err != nil {
		s.Log.Error("lobby token", "err", err)
		s.flashError(p, "Making the link failed; try again.")
		return
	}
	s.audit(p, "lobby-token "+office, "")
	scheme := "https"
	if s.PlainHTTP && r.TLS == nil {
		scheme = "http"
	}
	link := LobbyURL(scheme+"://"+r.Host, office, token)
	s.sessions.addFlash(p.sess, flash{Text: fmt.Sprintf("New screen link for %s (shown only now; any older link stops working):", s.officeName(office)), Link: link})
}

func (s *server) lobbyRevoke(w http.ResponseWriter, r *http.Request, p *principal) {
	defer http.Redirect(w, r, "/clerk/lobby", http.StatusSeeOther)
	office := r.PostFormValue("office")
	if _, ok := s.Program.Office(office); !ok || s.Lobby == nil {
		s.flashError(p, "Pick an office.")
		return
	}
	if err := s.Lobby.RevokeLobbyToken(office); err != nil {
		s.Log.Error("lobby revoke", "err", err)
		s.flashError(p, "Revoking failed; try again.")
		return
	}
	s.audit(p, "lobby-revoke "+office, "")
	s.flash(p, "The screen link of "+s.officeName(office)+" no longer works.")
}
