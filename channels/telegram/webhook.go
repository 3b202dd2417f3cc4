package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// SecretHeader carries the webhook's secret_token on every delivery.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// maxUpdate bounds a webhook body: an update is a few KiB at most.
const maxUpdate = 256 << 10

// RegisterWebhook tells Telegram to deliver updates to url (the public
// HTTPS URL of POST /webhooks/telegram) with the configured secret. tgbotapi
// has no field for the secret, so this calls setWebhook itself.
func (c *Channel) RegisterWebhook(ctx context.Context, url string) error {
	if c.secret == "" {
		return fmt.Errorf("%w: a webhook needs a secret (TELEGRAM_WEBHOOK_SECRET)", ErrConfig)
	}
	params := tgbotapi.Params{"url": url, "secret_token": c.secret}
	if err := params.AddInterface("allowed_updates", allowedUpdates); err != nil {
		return fmt.Errorf("telegram: set webhook: %w", err)
	}
	if _, err := c.call(ctx, "setWebhook", params); err != nil {
		return err // a *callError: method, status and code, never the description
	}
	return nil
}

// Handler serves POST /webhooks/telegram. It checks the secret header in
// constant time before reading the body (401 when wrong or missing),
// takes the update and answers 200 at once: the update is handled on its
// chat's goroutine and replies go out through the paced sender, not in the
// response. While too many replies wait (see admit), and once Stop has
// begun, it answers 503 without taking the update, and Telegram delivers it
// again. The body is never logged.
func (c *Channel) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		got := r.Header.Get(SecretHeader)
		if c.secret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(c.secret)) != 1 {
			http.Error(w, "wrong or missing secret token", http.StatusUnauthorized)
			return
		}
		var u tgbotapi.Update
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxUpdate)).Decode(&u); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "update too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "want a JSON update", http.StatusBadRequest)
			return
		}
		err := c.admit(u)
		if err == nil {
			err = c.handle(u)
		}
		if errors.Is(err, errBusy) || errors.Is(err, errStopping) {
			w.Header().Set("Retry-After", "10")
			http.Error(w, "busy: deliver this update again later", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}
