package conversations

import (
	"time"

	"github.com/cita-city/cita/scheduling"
)

// Language returns the language the engine would answer in at now, without
// starting or touching a session: the live session's, else the one a new
// session would pick (the language the text names, the channel's hint, the
// stored appointment's, the language detected from the text, the program's
// first). A channel uses it for the texts it writes itself, such as the
// answers to carrier keywords, so they come in the resident's language.
func (e *Engine) Language(in Inbound, now time.Time) string {
	if l, ok := e.sessionLanguage(in.Identity, now); ok {
		return l
	}
	return e.pickLanguage(in)
}

// sessionLanguage returns the language of id's live session, if it has
// one. It neither refreshes nor makes a session.
func (e *Engine) sessionLanguage(id scheduling.Identity, now time.Time) (string, bool) {
	e.mu.Lock()
	s, ok := e.sessions[id]
	e.mu.Unlock()
	if !ok {
		return "", false
	}
	// Locked in the order Handle locks: never e.mu while holding s.mu.
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone || now.Sub(s.seen) > SessionTTL || s.lang == "" {
		return "", false
	}
	return s.lang, true
}
