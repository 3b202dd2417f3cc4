package telegram

import (
	"bytes"
	"context"
	"crypto/sha256"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/telegram/telegramtest"
	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/locales"
	"github.com/cita-city/cita/scheduling"
)

// Test residents: chat id equals user id in a private chat. The numbers are
// distinctive so the log scans cannot hit them by accident.
const (
	ana   int64 = 731957201
	bruno int64 = 731957202
)

// engine is a scripted conversation: it records what it was handed and
// answers with reply(in).
type engine struct {
	mu    sync.Mutex
	seen  []conversations.Inbound
	reply func(conversations.Inbound) conversations.Reply
}

func (e *engine) Handle(in conversations.Inbound, _ time.Time) conversations.Reply {
	e.mu.Lock()
	e.seen = append(e.seen, in)
	f := e.reply
	e.mu.Unlock()
	if f == nil {
		return conversations.Reply{Lang: "en", Text: "ok"}
	}
	return f(in)
}

func (e *engine) inbound() []conversations.Inbound {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]conversations.Inbound(nil), e.seen...)
}

// plainIDs "hashes" with unkeyed SHA-256: enough to tell addresses apart.
// Every address is cached.
type plainIDs struct{}

func (plainIDs) Cached(address string, _ time.Time) ([]scheduling.Identity, bool) {
	return []scheduling.Identity{{Epoch: 1, Hash: sha256.Sum256([]byte(address))}}, true
}

func (p plainIDs) Admit(_ context.Context, address string, now time.Time) ([]scheduling.Identity, error) {
	ids, _ := p.Cached(address, now)
	return ids, nil
}

// hasherIDs admits every address at once through an identity.Hasher's
// Identities, caching nothing itself.
type hasherIDs struct {
	h interface {
		Identities(address string, now time.Time) ([]scheduling.Identity, error)
	}
}

func (hasherIDs) Cached(string, time.Time) ([]scheduling.Identity, bool) { return nil, false }

func (h hasherIDs) Admit(_ context.Context, address string, now time.Time) ([]scheduling.Identity, error) {
	return h.h.Identities(address, now)
}

// testProgram is a one-office program in Chicago.
func testProgram(t testing.TB) *scheduling.Program {
	t.Helper()
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	return &scheduling.Program{
		Name:         "CityKey",
		Location:     loc,
		Region:       "US",
		Languages:    []string{"en", "es"},
		ReminderLead: 24 * time.Hour,
		Offices: []scheduling.Office{{
			ID:          "city-hall",
			Names:       map[string]string{"en": "City Hall", "es": "Ayuntamiento"},
			Address:     "121 N LaSalle St, Room 107",
			SlotMinutes: 20,
			Desks:       2,
		}},
	}
}

// t0 is the tests' clock: Monday 30 November 2026, 08:00 in Chicago.
var t0 = time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC)

// fixture is a channel wired to a fake Bot API and a scripted engine.
type fixture struct {
	api    *telegramtest.Server
	ch     *Channel
	engine *engine
	logs   *syncBuffer
	now    func() time.Time
}

type option func(*Config)

func newFixture(t testing.TB, opts ...option) *fixture {
	t.Helper()
	api := telegramtest.NewServer()
	t.Cleanup(api.Close)
	catalog, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{api: api, engine: &engine{}, logs: &syncBuffer{}}
	started := time.Now()
	f.now = func() time.Time { return t0.Add(time.Since(started)) }
	cfg := Config{
		Token:         telegramtest.Token,
		Endpoint:      api.Endpoint(),
		WebhookSecret: "s3cret-hook_token",
		Engine:        f.engine,
		IDs:           plainIDs{},
		Normalize:     identity.NormalizePhone,
		Program:       testProgram(t),
		Messages:      catalog,
		Now:           f.now,
		Log:           slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		PollTimeout:   time.Second,
		// Tests that are not about pacing need not wait 1.1 s per reply:
		// the fake's per-chat limit is relaxed to match below.
		ChatGap: 20 * time.Millisecond,
		Rate:    200,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.ChatGap < DefaultChatGap {
		api.PerChat = cfg.ChatGap / 2
	}
	if cfg.Rate > DefaultRate {
		api.PerSecond = int(cfg.Rate) * 2
	}
	ch, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.ch = ch
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ch.Stop(ctx)
	})
	return f
}

// paced keeps the production pacing and the fake's real limits.
func paced(c *Config) { c.ChatGap, c.Rate = DefaultChatGap, DefaultRate }

// deliver hands an update to the channel the way the webhook does.
func (f *fixture) deliver(t *testing.T, u telegramtest.Update) {
	t.Helper()
	raw, _ := f.api.Marshal(u)
	if err := f.ch.handle(decodeUpdate(t, raw)); err != nil {
		t.Fatalf("update not taken: %v", err)
	}
}

// settle waits until every update taken is handled and the sender has
// nothing queued. The inbox is read first: an update's replies are queued
// before it counts as handled.
func (f *fixture) settle(t *testing.T) {
	t.Helper()
	if !f.api.WaitFor(10*time.Second, func() bool { return f.ch.in.pending() == 0 && f.ch.out.pending() == 0 }) {
		t.Fatalf("%d updates and %d jobs still waiting after 10s", f.ch.in.pending(), f.ch.out.pending())
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
