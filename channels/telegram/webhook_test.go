package telegram

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/telegram/telegramtest"
)

func TestWebhookSecret(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.ch.Handler())
	defer srv.Close()
	tests := []struct {
		name   string
		method string
		secret *string
		body   []byte
		status int
		handed int // updates the engine saw after this request, in all
	}{
		{"missing secret", http.MethodPost, nil, nil, http.StatusUnauthorized, 0},
		{"wrong secret", http.MethodPost, ptr("s3cret-hook_tokem"), nil, http.StatusUnauthorized, 0},
		{"empty secret", http.MethodPost, ptr(""), nil, http.StatusUnauthorized, 0},
		{"right secret", http.MethodPost, ptr("s3cret-hook_token"), nil, http.StatusOK, 1},
		// The same update again: Telegram retries when it misses our 200.
		{"right secret, retried update", http.MethodPost, ptr("s3cret-hook_token"), []byte("same"), http.StatusOK, 1},
		{"GET", http.MethodGet, ptr("s3cret-hook_token"), nil, http.StatusMethodNotAllowed, 1},
		{"not JSON", http.MethodPost, ptr("s3cret-hook_token"), []byte("{"), http.StatusBadRequest, 1},
		{"too large", http.MethodPost, ptr("s3cret-hook_token"), bytes.Repeat([]byte(" "), maxUpdate+1), http.StatusRequestEntityTooLarge, 1},
	}
	var last []byte
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			switch {
			case string(body) == "same":
				body = last
			case body == nil:
				body, _ = f.api.Marshal(f.api.Text(ana, ana, "en", "hi"))
				last = body
			}
			req, _ := http.NewRequest(tc.method, srv.URL+"/webhooks/telegram", bytes.NewReader(body))
			if tc.secret != nil {
				req.Header.Set(SecretHeader, *tc.secret)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			f.settle(t) // updates are handled off the request
			if n := len(f.engine.inbound()); n != tc.handed {
				t.Errorf("engine saw %d updates, want %d", n, tc.handed)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestRegisterWebhook(t *testing.T) {
	f := newFixture(t)
	if err := f.ch.RegisterWebhook(t.Context(), "https://cita.example/webhooks/telegram"); err != nil {
		t.Fatal(err)
	}
	url, secret := f.api.Webhook()
	if url != "https://cita.example/webhooks/telegram" || secret != "s3cret-hook_token" {
		t.Errorf("registered %q with secret %q", url, secret)
	}
	reqs := f.api.Requests("setWebhook")
	if got := reqs[0].Params.Get("allowed_updates"); got != `["message","callback_query"]` {
		t.Errorf("allowed_updates %s", got)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	api := telegramtest.NewServer()
	defer api.Close()
	base := func() Config {
		return Config{Token: telegramtest.Token, Endpoint: api.Endpoint(), Engine: &engine{}, IDs: plainIDs{},
			Normalize: func(string, string) (string, error) { return "", nil }, Program: testProgram(t), Messages: nil, Now: time.Now}
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no token", func(c *Config) { c.Token = "" }, "no bot token"},
		{"bad secret", func(c *Config) { c.WebhookSecret = "has space" }, "webhook secret"},
		{"endpoint without placeholders", func(c *Config) { c.Endpoint = api.URL }, "two %s"},
		{"no engine", func(c *Config) { c.Engine = nil }, "required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			c.Messages = stubMessages{}
			tc.change(&c)
			_, err := New(c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want %q", err, tc.want)
			}
		})
	}
}

type stubMessages struct{}

func (stubMessages) Text(lang, id string, _ map[string]any) (string, error) { return id, nil }
func (stubMessages) Count(lang, id string, _ int, _ map[string]any) (string, error) {
	return id, nil
}
func (stubMessages) Date(string, time.Time) string { return "date" }
func (stubMessages) Time(string, time.Time) string { return "time" }

// TestTokenNeverInErrorsOrLogs points the channel at a Bot API that is
// gone: the transport errors (which carry the request URL) must not carry
// the token, in New's error or in the polling log.
func TestTokenNeverInErrorsOrLogs(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	cfg := Config{Token: telegramtest.Token, Endpoint: gone.URL + "/bot%s/%s", Engine: &engine{}, IDs: plainIDs{},
		Normalize: func(string, string) (string, error) { return "", nil }, Program: testProgram(t), Messages: stubMessages{}, Now: time.Now}
	_, err := New(cfg)
	if err == nil {
		t.Fatal("New against a closed server succeeded")
	}
	if strings.Contains(err.Error(), telegramtest.Token) || !strings.Contains(err.Error(), "getMe") {
		t.Errorf("New's error %q: want getMe named and no token", err)
	}

	f := newFixture(t)
	f.api.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	_ = f.ch.Run(ctx)
	logs := f.logs.String()
	if !strings.Contains(logs, "getUpdates") {
		t.Fatalf("no failed poll logged:\n%s", logs)
	}
	if strings.Contains(logs, telegramtest.Token) || strings.Contains(logs, "TEST-token") {
		t.Errorf("log holds the token:\n%s", logs)
	}
}
