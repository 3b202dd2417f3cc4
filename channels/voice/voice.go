// Package voice is cita's phone channel, through Twilio Voice: a resident
// calls, hears the menus read aloud in their language and answers with the
// keypad. It serves Twilio's voice webhooks under Path (signed, checked over
// the configured public URL like SMS) and answers in TwiML: <Say> with a
// language and voice, <Gather input="dtmf">, <Pause>, <Redirect> and
// <Hangup>, nothing that records, transcribes or listens to speech.
//
// The conversation is the same engine and rules as on SMS: the channel
// only renders its Reply for the ear ("For what to bring, press 2") and
// turns a key into the Choice it names. The caller's number is normalized
// and hashed as on SMS (a newcomer waits for the identity stretch in the
// admission queue, the call held with short pauses) and then dropped: the
// call's state lives in memory keyed by Twilio's CallSid, holding the
// identity hashes only, and goes when the call ends or after CallTTL. A
// withheld caller id gets information only (see docs/PRIVACY.md).
package voice

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/scheduling"
)

// Path is where Twilio posts an incoming call; its follow-ups (keys
// pressed, waits, the end of the call) come under Path + "/".
const Path = "/webhooks/twilio/voice"

// CallTTL is how long a call's state lives without a webhook: a call
// silent that long has ended even if its status never came.
const CallTTL = 15 * time.Minute

// Conversation is the dialogue engine; conversations.Engine implements it.
type Conversation interface {
	Handle(in conversations.Inbound, now time.Time) conversations.Reply
}

// Identifier turns a number into the caller's identities, newest key
// epoch first; identity.Hasher implements it.
type Identifier interface {
	Cached(address string, now time.Time) ([]scheduling.Identity, bool)
	AdmitAsync(address string, now time.Time, done func()) (leave func() bool, err error)
}

// Appointments finds a caller's appointment, so a caller who holds one is
// spoken to in its language from the start; *scheduling.Service
// implements it.
type Appointments interface {
	Find(ids []scheduling.Identity) (scheduling.Appointment, error)
}

// Messages gives the voice.* texts; locales.Catalog implements it.
type Messages interface {
	Languages() []string
	Text(lang, id string, data map[string]any) (string, error)
}

// Voice is how Twilio reads one language: Language is the <Say> language
// tag (e.g. "es-US"), Name the voice ("Polly.Lupe-Neural"; empty: Twilio's
// default for Language).
type Voice struct {
	Language string
	Name     string
}

// Config is what a Channel is built from. All fields are required unless
// marked optional.
type Config struct {
	Engine       Conversation
	IDs          Identifier
	Appointments Appointments
	Normalize    func(number, region string) (string, error) // identity.NormalizeSender
	Texts        Messages
	Program      *scheduling.Program
	// AuthToken checks webhook signatures; PublicURL is this server's
	// public base URL as Twilio calls it (the signature covers it, and
	// every action and redirect is on it).
	AuthToken string
	PublicURL string
	Now       func() time.Time
	Log       *slog.Logger
	// Voices overrides DefaultVoices per language (optional).
	Voices map[string]Voice
	// MaxWait bounds how long a newcomer's call waits for the identity
	// stretch (optional, default 30s); then the caller is told to call
	// again later.
	MaxWait time.Duration
}

// Channel is the phone channel. It is an http.Handler for Path and its
// follow-ups; Start, Press and Wait drive a call without HTTP (the
// terminal's `bot chat --channel voice`).
type Channel struct {
	c     Config
	langs []string // the program's languages that have texts, in its order

	mu    sync.Mutex
	calls map[string]*call
}

// New validates c.
func New(c Config) (*Channel, error) {
	var missing []string
	for name, ok := range map[string]bool{
		"Engine": c.Engine != nil, "IDs": c.IDs != nil, "Appointments": c.Appointments != nil,
		"Normalize": c.Normalize != nil, "Texts": c.Texts != nil, "Program": c.Program != nil,
		"AuthToken": c.AuthToken != "", "PublicURL": c.PublicURL != "", "Now": c.Now != nil, "Log": c.Log != nil,
	} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("voice: config lacks %s", strings.Join(missing, ", "))
	}
	if !strings.HasPrefix(c.PublicURL, "https://") && !strings.HasPrefix(c.PublicURL, "http://") {
		return nil, errors.New("voice: public URL must start with https:// (or http:// for local tests)")
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.MaxWait <= 0 {
		c.MaxWait = 30 * time.Second
	}
	ch := &Channel{c: c, calls: map[string]*call{}}
	have := c.Texts.Languages()
	for _, l := range c.Program.Languages {
		if slices.Contains(have, l) {
			ch.langs = append(ch.langs, l)
		}
	}
	if len(ch.langs) == 0 {
		return nil, errors.New("voice: no language of the program has texts")
	}
	return ch, nil
}

// Sweep drops the state of calls silent for CallTTL and returns how many
// it dropped. A nil Channel (voice not configured) sweeps nothing.
func (ch *Channel) Sweep(now time.Time) int {
	if ch == nil {
		return 0
	}
	ch.mu.Lock()
	var old []*call
	for sid, c := range ch.calls {
		if now.Sub(c.seen) > CallTTL {
			delete(ch.calls, sid)
			old = append(old, c)
		}
	}
	ch.mu.Unlock()
	for _, c := range old {
		c.end()
	}
	return len(old)
}

// Calls returns the number of calls held.
func (ch *Channel) Calls() int {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return len(ch.calls)
}

// End drops a call's state at once (the call completed or hung up).
func (ch *Channel) End(sid string) {
	ch.mu.Lock()
	c := ch.calls[sid]
	delete(ch.calls, sid)
	ch.mu.Unlock()
	if c != nil {
		c.end()
	}
}

func (ch *Channel) get(sid string) *call {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.calls[sid]
}

// randomIdentity is the engine identity of a caller whose number is
// withheld: one per call, found by nothing, so nothing can be booked or
// found under it.
func randomIdentity() scheduling.Identity {
	var id scheduling.Identity
	if _, err := rand.Read(id.Hash[:]); err != nil {
		panic("voice: no randomness: " + err.Error())
	}
	return id
}

// withheld reports whether a From is a hidden caller id: the words
// carriers send, and Twilio's placeholder numbers for them.
func withheld(from string) bool {
	switch strings.ToLower(strings.TrimSpace(from)) {
	case "", "anonymous", "restricted", "unknown", "private", "unavailable",
		"+266696687", "+86282452253", "+8656696", "+7378742833", "266696687", "86282452253", "8656696", "7378742833":
		return true
	}
	return false
}
