package telegram

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzTelegramWebhook posts arbitrary bodies, with the right secret, to
// the webhook: every one gets a bounded answer (200, 400 or 413; 503 only
// with Retry-After), never a panic, and the log never holds a text that
// was sent.
func FuzzTelegramWebhook(f *testing.F) {
	seeds := []string{
		`{"update_id":1,"message":{"message_id":1,"from":{"id":5,"language_code":"es"},"chat":{"id":5,"type":"private"},"date":1,"text":"hola"}}`,
		`{"update_id":2,"message":{"message_id":2,"chat":{"id":5,"type":"private"},"text":"/start"}}`,
		`{"update_id":3,"callback_query":{"id":"c","from":{"id":5},"data":"x","message":{"message_id":9,"chat":{"id":5,"type":"private"}}}}`,
		`{"update_id":4,"message":{"message_id":3,"from":{"id":5},"chat":{"id":-100,"type":"group"},"text":"hi"}}`,
		`{"update_id":5,"message":{"message_id":4,"from":{"id":5},"chat":{"id":5,"type":"private"},"contact":{"phone_number":"+13125550142","user_id":5}}}`,
		`{"update_id":6,"message":{"from":{"id":5},"chat":{"id":5,"type":"private"},"photo":[{"file_id":"p"}]}}`,
		`{"update_id":"x"}`, `[]`, `null`, `{`, "\xff\x00", "",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	// One channel for every input: building one per input (a fake Bot
	// API, the locales) would leave a few runs a second.
	fx := newFixture(f)
	handler := fx.ch.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		before := len(fx.logs.String())
		req := httptest.NewRequest(http.MethodPost, "/webhooks/telegram", bytes.NewReader(body))
		req.Header.Set(SecretHeader, "s3cret-hook_token")
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		case http.StatusServiceUnavailable:
			if w.Header().Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
		default:
			t.Errorf("status %d", w.Code)
		}
		var u struct {
			Message struct {
				Text string `json:"text"`
			} `json:"message"`
		}
		if json.Unmarshal(body, &u) == nil && len(u.Message.Text) >= 8 && strings.Contains(fx.logs.String()[before:], u.Message.Text) {
			t.Errorf("the log holds the text %q", u.Message.Text)
		}
	})
}
