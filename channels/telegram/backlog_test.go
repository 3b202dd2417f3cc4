package telegram

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/telegram/telegramtest"
)

const carol, dana int64 = 731957203, 731957204

// post delivers u to the webhook and returns the status and Retry-After.
func post(t *testing.T, f *fixture, url string, u telegramtest.Update) (int, string) {
	t.Helper()
	body, _ := f.api.Marshal(u)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set(SecretHeader, "s3cret-hook_token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// TestWebhookBacklog: while the replies waiting over all chats reach
// MaxBacklog, an update gets 503 and changes nothing; delivered again once
// they have gone out, it is handled.
func TestWebhookBacklog(t *testing.T) {
	// A first message queues two calls: the reply and the offer to share
	// the phone number. Three chats make six.
	f := newFixture(t, func(c *Config) { c.MaxBacklog = 5 })
	srv := httptest.NewServer(f.ch.Handler())
	defer srv.Close()
	f.api.Hang(3, 500*time.Millisecond, true) // the first replies take a while
	for _, chat := range []int64{ana, bruno, carol} {
		if code, _ := post(t, f, srv.URL, f.api.Text(chat, chat, "en", "hi")); code != http.StatusOK {
			t.Fatalf("chat %d: status %d, want 200", chat, code)
		}
	}
	late := f.api.Text(dana, dana, "en", "hi")
	code, retry := post(t, f, srv.URL, late)
	if code != http.StatusServiceUnavailable || retry == "" {
		t.Errorf("with 6 calls waiting: status %d, Retry-After %q; want 503 with Retry-After", code, retry)
	}
	// Updates are handled off the request: wait for them before counting.
	f.settle(t)
	if n := len(f.engine.inbound()); n != 3 {
		t.Errorf("engine saw %d updates, want 3", n)
	}
	if code, _ := post(t, f, srv.URL, late); code != http.StatusOK {
		t.Errorf("delivered again after the backlog cleared: status %d, want 200", code)
	}
	f.settle(t)
	if n := len(f.engine.inbound()); n != 4 {
		t.Errorf("engine saw %d updates, want 4: the refused update was lost", n)
	}
}

// TestWebhookChatFlood: a chat writing faster than it can be answered has
// its further updates dropped (200: Telegram must not send them again),
// and other chats are still served.
func TestWebhookChatFlood(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.ch.Handler())
	defer srv.Close()
	f.api.Hang(1, 2*time.Second, true) // ana's first reply holds her queue
	const sent = maxChatBacklog + 20
	for range sent {
		if code, _ := post(t, f, srv.URL, f.api.Text(ana, ana, "en", "hi")); code != http.StatusOK {
			t.Fatalf("status %d, want 200", code)
		}
	}
	// Updates are handled off the request: wait for the first one.
	f.api.WaitFor(5*time.Second, func() bool { return len(f.engine.inbound()) >= 1 })
	if n := len(f.engine.inbound()); n < 1 || n > maxChatBacklog {
		t.Errorf("engine saw %d of %d updates from one chat, want 1 to %d", n, sent, maxChatBacklog)
	}
	if code, _ := post(t, f, srv.URL, f.api.Text(bruno, bruno, "en", "hi")); code != http.StatusOK {
		t.Errorf("another chat: status %d, want 200", code)
	}
	if !f.api.WaitFor(time.Second, func() bool { _, ok := f.api.Last(bruno); return ok }) {
		t.Error("another chat got no reply while one chat flooded")
	}
}

// TestPollingBacklog: polling stops taking updates while MaxBacklog
// replies wait, without confirming the ones it left, and takes them once
// the replies have gone out.
func TestPollingBacklog(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxBacklog = 1 })
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.ch.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if !f.api.WaitFor(5*time.Second, func() bool { return len(f.api.Requests("deleteWebhook")) == 1 }) {
		t.Fatal("Run did not start polling")
	}
	f.api.Hang(1, 700*time.Millisecond, true)
	for _, chat := range []int64{ana, bruno, carol} {
		f.api.Enqueue(f.api.Text(chat, chat, "en", "hi"))
	}
	time.Sleep(300 * time.Millisecond) // the first reply is still hanging
	if n := len(f.engine.inbound()); n != 1 {
		t.Errorf("with the backlog full the engine saw %d updates, want 1", n)
	}
	if !f.api.WaitFor(10*time.Second, func() bool { return len(f.engine.inbound()) == 3 }) {
		t.Fatalf("engine saw %d updates, want all 3 once the backlog cleared", len(f.engine.inbound()))
	}
}
