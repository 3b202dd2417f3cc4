package twilio

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/scheduling"
)

// Conversation is the dialogue engine; conversations.Engine implements it.
type Conversation interface {
	Handle(in conversations.Inbound, now time.Time) conversations.Reply
	// Language is the language the engine would answer in at now, found
	// without touching a session: the channel writes some texts itself.
	Language(in conversations.Inbound, now time.Time) string
}

// Identifier turns an address into the resident's identities, newest key
// epoch first; identity.Hasher implements it. A resident's message never
// stretches on the webhook's path: Cached answers from memory, and
// AdmitAsync queues a newcomer in arrival order (or says at once that the
// line is busy) and calls back once their identities are cached.
type Identifier interface {
	Cached(address string, now time.Time) ([]scheduling.Identity, bool)
	AdmitAsync(address string, now time.Time, done func()) (leave func() bool, err error)
}

// Messages gives the texts only this channel sends (carrier keywords, MMS,
// reminders) and formats dates; locales.Catalog implements it.
type Messages interface {
	Text(lang, id string, data map[string]any) (string, error)
	// Count is Text's plural form for n: how many people a booking covers.
	Count(lang, id string, n int, data map[string]any) (string, error)
	Date(lang string, t time.Time) string
	Time(lang string, t time.Time) string
}

// Kind is what sets one Twilio channel apart from another: SMS and
// WhatsApp share everything else (the webhook, its signature, dedupe, the
// queue, reminders, redaction).
type Kind struct {
	// Name names the channel in logs and errors ("sms", "whatsapp").
	Name string
	// Path is where Twilio posts the channel's incoming messages; the
	// signature covers PublicURL + Path.
	Path string
	// Prefix is what Twilio writes before the E.164 number in the
	// channel's From and To ("whatsapp:"); SMS has none. The resident is
	// the number alone, so one person is one resident on every channel.
	Prefix string
	// Templates, when not nil, makes reminders Content templates: the
	// ContentSid of each language's approved template, whose variables
	// are 1 the code, 2 the day and time, 3 the office. A language without
	// one gets no reminder offered. When nil, a reminder is plain text.
	Templates map[string]string
}

// Config is what a Channel is built from. All fields are required unless
// marked optional.
type Config struct {
	Kind      Kind
	Engine    Conversation
	IDs       Identifier
	Normalize func(number, region string) (string, error) // identity.NormalizeSender
	Texts     Messages
	Program   *scheduling.Program
	Provider  Provider
	// OtherPrefixes (optional) are the address prefixes of the account's
	// other Twilio channels ("" for SMS, "whatsapp:"): moving, cancelling
	// and "delete my data" also find the resident's reminders and messages
	// there, since the resident is the number whatever the channel.
	OtherPrefixes []string
	// AuthToken checks webhook signatures; PublicURL is this server's
	// public base URL as Twilio calls it (the signature covers it).
	AuthToken string
	PublicURL string
	Now       func() time.Time
	Log       *slog.Logger
	// Workers run Twilio REST calls (optional, default 2); Attempts bounds
	// the tries of each (optional, default 4), the first retry after
	// Backoff (optional, default 1s), doubling.
	Workers  int
	Attempts int
	Backoff  time.Duration
	// OnAttempt, if set, is told of every attempt at a Twilio job or
	// redaction: provider "twilio", the outcome (one of the Outcome
	// constants, never anything about the resident) and whether it will
	// be retried. Metrics count retries with it. It must not block.
	OnAttempt func(provider, outcome string, retry bool)
	// Deliveries (optional) keeps webhook dedupe marks across restarts,
	// digested under DedupeKey (required with it; identity.DedupeKey of
	// the live keys). Without it marks live in memory only.
	Deliveries Deliveries
	DedupeKey  func() [32]byte
	// MaxWait bounds how long a queued message waits for its sender's
	// identity stretch to start (optional, default 15m: more than
	// identity.DefaultMaxWait, the admission bound); one that waited
	// longer is dropped without stretching.
	MaxWait time.Duration
}

// Channel is one Twilio channel: it serves Twilio's webhook at Kind.Path
// and runs its REST calls (reminders, clean-up) on a background queue.
// Close it to finish that queue.
type Channel struct {
	c      Config
	queue  *queue
	dedupe *dedupe
	inbox  *inbox
}

// New validates c and starts the channel's workers.
func New(c Config) (*Channel, error) {
	var missing []string
	for name, ok := range map[string]bool{
		"Kind.Name": c.Kind.Name != "", "Kind.Path": c.Kind.Path != "",
		"Engine": c.Engine != nil, "IDs": c.IDs != nil, "Normalize": c.Normalize != nil,
		"Texts": c.Texts != nil, "Program": c.Program != nil,
		"Provider": c.Provider != nil, "AuthToken": c.AuthToken != "", "PublicURL": c.PublicURL != "",
		"Now": c.Now != nil, "Log": c.Log != nil,
	} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("twilio: config lacks %s", strings.Join(missing, ", "))
	}
	if !strings.HasPrefix(c.PublicURL, "https://") && !strings.HasPrefix(c.PublicURL, "http://") {
		return nil, errors.New("twilio: public URL must start with https:// (or http:// for local tests)")
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.Attempts <= 0 {
		c.Attempts = 4
	}
	if c.Backoff <= 0 {
		c.Backoff = time.Second
	}
	if c.OnAttempt == nil {
		c.OnAttempt = func(string, string, bool) {}
	}
	if c.Deliveries != nil && c.DedupeKey == nil {
		return nil, errors.New("twilio: config has Deliveries without DedupeKey")
	}
	if c.MaxWait <= 0 {
		c.MaxWait = 15 * time.Minute
	}
	ch := &Channel{c: c, inbox: newInbox(), dedupe: newDedupe(c.Deliveries, c.DedupeKey, func(err error) {
		c.Log.Error(c.Kind.Name+" webhook: dedupe store", "err", err) // storage errors name no id
	})}
	ch.queue = newQueue(c.Kind.Name, c.Workers, c.Attempts, c.Backoff, c.Log, ch.attempt)
	return ch, nil
}

// attempt reports one attempt at a Twilio call to OnAttempt.
func (ch *Channel) attempt(outcome string, retry bool) { ch.c.OnAttempt("twilio", outcome, retry) }

// Sweep forgets webhook dedupe marks older than DedupeTTL and returns how
// many it dropped. Call it from the periodic sweep job.
// A nil Channel (SMS not configured) sweeps nothing.
func (ch *Channel) Sweep(now time.Time) int {
	if ch == nil {
		return 0
	}
	return ch.dedupe.sweep(now)
}

// Drain waits until every message taken has been answered and every
// queued Twilio call has finished (tests).
func (ch *Channel) Drain() {
	ch.inbox.waitIdle()
	ch.queue.drain()
}

// Close stops taking new Twilio calls and waits for the queued ones,
// retries included. Messages still waiting for their sender's identity
// stretch are dropped (and counted in the log). Call it after the HTTP
// server has shut down.
func (ch *Channel) Close() {
	if n := ch.inbox.close(); n > 0 {
		ch.c.Log.Warn(ch.c.Kind.Name+": messages left unanswered at shutdown", "count", n)
	}
	ch.queue.close()
}
