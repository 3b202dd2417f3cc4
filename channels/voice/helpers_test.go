package voice

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/locales"
	"github.com/cita-city/cita/scheduling"
	"github.com/cita-city/cita/storage"
)

const (
	publicURL = "https://cita.example.gov"
	authToken = "test-auth-token"
	caller    = "+13125550142"
)

var (
	_ Conversation = (*conversations.Engine)(nil)
	_ Identifier   = (*identity.Hasher)(nil)
	_ Appointments = (*scheduling.Service)(nil)
	_ Messages     = (*locales.Catalog)(nil)
)

// testNow is Monday 30 November 2026, 08:00 in Chicago.
var testNow = time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC)

// fixture is a Channel over the real engine, booking service, bbolt store,
// catalog and identity hasher (with cheap argon2 settings).
type fixture struct {
	t      *testing.T
	ch     *Channel
	svc    *scheduling.Service
	hasher *identity.Hasher
	logs   *syncBuffer
	now    time.Time
}

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

func newFixture(t *testing.T) *fixture {
	t.Helper()
	p := scheduling.Demo()
	st, err := storage.Open(filepath.Join(t.TempDir(), "cita.db"), storage.Options{Location: p.Location, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := scheduling.NewService(p, st)
	svc.SetRand(rand.NewChaCha8([32]byte{'v', 'o', 'i', 'c', 'e'}))
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	eng := conversations.New(svc, cat)
	eng.OnError = func(err error) { t.Errorf("engine: %v", err) }
	key, err := identity.NewKey(1, scheduling.DateOf(testNow), strings.NewReader(strings.Repeat("k", 64)))
	if err != nil {
		t.Fatal(err)
	}
	h, err := identity.NewHasher([]identity.Key{key}, identity.Params{Memory: 64, Time: 1, Threads: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, svc: svc, hasher: h, logs: &syncBuffer{}, now: testNow}
	f.ch, err = New(Config{
		Engine: eng, IDs: h, Appointments: svc, Normalize: identity.NormalizeSender,
		Texts: cat, Program: p, AuthToken: authToken, PublicURL: publicURL,
		Now: func() time.Time { return f.now }, Log: slog.New(slog.NewTextHandler(f.logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// sign is Twilio's webhook signature: HMAC-SHA1 over the URL and the
// sorted form's keys and values, base64.
func sign(token, u string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(u)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(form.Get(k))
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// post sends a signed webhook to path (with its query) and returns the
// response.
func (f *fixture) post(path string, form url.Values) *httptest.ResponseRecorder {
	f.t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://internal"+path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-Twilio-Signature", sign(authToken, publicURL+path, form))
	w := httptest.NewRecorder()
	f.ch.ServeHTTP(w, r)
	return w
}

// call is a phone call driven through Start, Press and Wait, writing what
// is said and pressed to a transcript.
type testCall struct {
	f    *fixture
	sid  string
	last Prompt
	out  strings.Builder
}

func (f *fixture) dial(sid, from string) *testCall {
	f.t.Helper()
	c := &testCall{f: f, sid: sid}
	c.out.WriteString("call\n")
	c.hear(f.ch.Start(sid, from, f.now))
	return c
}

// hear records p, waiting out the identity stretch the way Twilio would
// (redirecting back while the call is held).
func (c *testCall) hear(p Prompt) {
	c.f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for p.Wait {
		if time.Now().After(deadline) {
			c.f.t.Fatal("the call waited 10s for its identity stretch")
		}
		time.Sleep(5 * time.Millisecond) // Twilio's <Pause>, shortened
		p = c.f.ch.Wait(c.sid, p.Step, c.f.now)
	}
	c.last = p
	// Every answer, in every language, as Twilio would get it.
	doc, err := c.f.ch.TwiML(p)
	if err != nil {
		c.f.t.Fatalf("TwiML: %v", err)
	}
	parseTwiML(c.f.t, doc)
	for _, s := range p.Says {
		c.out.WriteString("< [" + s.Lang + "] " + s.Text + "\n")
	}
	if p.Hangup {
		c.out.WriteString("(hangs up)\n")
	}
}

func (c *testCall) press(keys ...string) *testCall {
	c.f.t.Helper()
	for _, k := range keys {
		if !c.last.Keys {
			c.f.t.Fatalf("pressing %q, but the call is not waiting for keys:\n%s", k, c.out.String())
		}
		c.out.WriteString("> " + k + "\n")
		c.hear(c.f.ch.Press(c.sid, c.last.Step, k, c.f.now))
	}
	return c
}

// said returns everything said in the last prompt.
func (c *testCall) said() string {
	var parts []string
	for _, s := range c.last.Says {
		parts = append(parts, s.Text)
	}
	return strings.Join(parts, " ")
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
