package twilio

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/twilio/twiliotest"
	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/locales"
	"github.com/cita-city/cita/scheduling"
)

// Path is where these tests post: the SMS channel's.
const Path = "/webhooks/twilio/sms"

// smsKind is the SMS channel's kind, as channels/sms builds it.
var smsKind = Kind{Name: "sms", Path: Path}

const (
	publicURL = "https://cita.example.gov"
	cityNum   = "+13125550100" // the city's Twilio number
	resident  = "+13125550142"
)

// testNow is the channel's clock in these tests: Monday 30 November 2026,
// 08:00 in Chicago.
var testNow = time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC)

// engine is a scripted conversation engine: it answers every message with
// reply, and records what it was handed.
type engine struct {
	mu    sync.Mutex
	reply func(in conversations.Inbound) conversations.Reply
	got   []conversations.Inbound
}

func (e *engine) Handle(in conversations.Inbound, now time.Time) conversations.Reply {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, in)
	if e.reply == nil {
		return conversations.Reply{Lang: "en", Text: "Menu", Choices: []conversations.Choice{{ID: "book", Label: "Book"}}}
	}
	return e.reply(in)
}

func (e *engine) calls() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.got)
}

// hasher stands in for identity.Hasher: one identity per address.
type hasher struct{}

func (hasher) Identities(address string, now time.Time) ([]scheduling.Identity, error) {
	return []scheduling.Identity{{Epoch: 2, Hash: sha256.Sum256([]byte(address))}, {Epoch: 1}}, nil
}

// Cached: this stand-in knows every resident, as for a returning one.
func (h hasher) Cached(address string, now time.Time) ([]scheduling.Identity, bool) {
	ids, _ := h.Identities(address, now)
	return ids, true
}

func (hasher) AdmitAsync(_ string, _ time.Time, done func()) (func() bool, error) {
	done()
	return func() bool { return false }, nil
}

func normalize(s, region string) (string, error) {
	d := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	switch {
	case len(d) == 10:
		return "+1" + d, nil
	case len(d) == 11 && d[0] == '1':
		return "+" + d, nil
	}
	return "", fmt.Errorf("not a phone number")
}

// fixture is a Channel wired to a scripted engine and the real twilio-go
// client talking to a twiliotest server.
type fixture struct {
	t      *testing.T
	ch     *Channel
	eng    *engine
	twilio *twiliotest.Server
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
	return newFixtureWith(t, hasher{}, nil)
}

// newFixtureWith is newFixture with ids for the hasher and, if set, eng
// for the scripted engine.
func newFixtureWith(t *testing.T, ids Identifier, eng Conversation) *fixture {
	t.Helper()
	return newFixtureOf(t, ids, eng, smsKind, nil)
}

// newFixtureOf is newFixtureWith for a channel of kind, whose account's
// other Twilio channels have the address prefixes others.
func newFixtureOf(t *testing.T, ids Identifier, eng Conversation, kind Kind, others []string) *fixture {
	t.Helper()
	f := &fixture{t: t, eng: &engine{}, logs: &syncBuffer{}, now: testNow}
	f.twilio = twiliotest.New(func() time.Time { return f.now })
	t.Cleanup(f.twilio.Close)
	hc, err := HTTPClient(f.twilio.URL, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	catalog, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	f.ch, err = New(Config{
		Kind:          kind,
		OtherPrefixes: others,
		Engine:        conversation(f.eng, eng),
		IDs:           ids,
		Normalize:     normalize,
		Texts:         catalog,
		Program:       scheduling.Demo(),
		Provider:      NewTwilio(twiliotest.AccountSID, twiliotest.AuthToken, twiliotest.ServiceSID, hc),
		AuthToken:     twiliotest.AuthToken,
		PublicURL:     publicURL + "/",
		Now:           func() time.Time { return f.now },
		Log:           slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Backoff:       time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.ch.Close()
		for _, s := range []string{resident, resident[1:], resident[2:], "555-0142", "5550142", "312-555-0142"} {
			if strings.Contains(f.logs.String(), s) {
				t.Errorf("log holds the number as %q:\n%s", s, f.logs.String())
			}
		}
	})
	return f
}

// inbound is a webhook form from resident with body, as Twilio posts it.
func inbound(sid, body string) url.Values {
	return url.Values{
		"MessageSid": {sid}, "SmsMessageSid": {sid}, "AccountSid": {twiliotest.AccountSID},
		"MessagingServiceSid": {twiliotest.ServiceSID},
		"From":                {resident}, "To": {cityNum}, "Body": {body}, "NumMedia": {"0"},
		"FromCity": {"CHICAGO"}, "FromState": {"IL"}, "FromCountry": {"US"},
	}
}

// post sends a signed (or, with sig set, forged) webhook and returns the
// status and body.
func (f *fixture) post(form url.Values, contentType, sig string, header http.Header) (int, string) {
	f.t.Helper()
	if sig == "" {
		sig = twiliotest.Sign(twiliotest.AuthToken, publicURL+f.ch.c.Kind.Path, form)
	}
	req := httptest.NewRequest(http.MethodPost, "http://10.0.0.7:8080"+f.ch.c.Kind.Path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Twilio-Signature", sig)
	for k, v := range header {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	start := time.Now()
	f.ch.ServeHTTP(w, req)
	if d := time.Since(start); d > 2*time.Second {
		f.t.Errorf("webhook took %v", d)
	}
	body, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(body)
}

const formType = "application/x-www-form-urlencoded"

// calls summarizes the fake's requests as "METHOD resource" lines.
func (f *fixture) calls() []string {
	var out []string
	for _, r := range f.twilio.Requests() {
		p := r.Path
		switch {
		case strings.Contains(p, "/Media/"):
			p = "Media/{sid}"
		case strings.HasSuffix(p, "/Media.json"):
			p = "Media.json"
		case strings.HasSuffix(p, "/Messages.json"):
			p = "Messages.json"
		default:
			p = "Messages/{sid}"
		}
		out = append(out, r.Method+" "+p)
	}
	return out
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

// conversation returns eng if set, else the scripted engine.
func conversation(scripted *engine, eng Conversation) Conversation {
	if eng != nil {
		return eng
	}
	return scripted
}
