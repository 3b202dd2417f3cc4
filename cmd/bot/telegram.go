package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/cita-city/cita/channels/telegram"
	"github.com/cita-city/cita/identity"
)

// telegramChannel builds the Telegram channel from the environment, or
// returns nil, nil when TELEGRAM_BOT_TOKEN is unset (no Telegram).
//
//	TELEGRAM_BOT_TOKEN         the bot's token from @BotFather
//	TELEGRAM_API_ENDPOINT      Bot API URL pattern, tgbotapi format
//	                           http://host/bot%s/%s (tests point it at a fake)
//	TELEGRAM_WEBHOOK_SECRET    secret_token for the webhook (1-256 of A-Z a-z 0-9 _ -)
//	CITA_TELEGRAM_WEBHOOK_URL  public URL of POST /webhooks/telegram: webhook
//	                           mode when set, long polling otherwise
func (m *Main) telegramChannel(a *app, c Config, log *slog.Logger) (*telegram.Channel, error) {
	token := m.env("TELEGRAM_BOT_TOKEN", "")
	if token == "" {
		return nil, nil
	}
	hook := m.env("CITA_TELEGRAM_WEBHOOK_URL", "")
	secret := m.env("TELEGRAM_WEBHOOK_SECRET", "")
	if hook != "" {
		u, err := url.Parse(hook)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fail("CITA_TELEGRAM_WEBHOOK_URL %q is not an http(s) URL (Telegram needs https://your.host/webhooks/telegram)", hook)
		}
		if secret == "" {
			return nil, fail("CITA_TELEGRAM_WEBHOOK_URL is set but TELEGRAM_WEBHOOK_SECRET is not: without it anyone could post fake updates")
		}
	}
	ch, err := telegram.New(telegram.Config{
		Token:         token,
		Endpoint:      m.env("TELEGRAM_API_ENDPOINT", ""),
		WebhookSecret: secret,
		Engine:        a.engine,
		// The keyring: a returning resident is Cached, a new one waits
		// its turn in Admit (issue 12), under the live keys (issue 14).
		IDs:        a.hasher,
		Deliveries: a.store,
		DedupeKey:  a.hasher.DedupeKey,
		Normalize:  identity.NormalizePhone,
		Program:    a.program,
		Messages:   a.catalog,
		Now:        m.Now,
		Log:        log,
		Transport:  countedTransport{provider: "telegram"}, // every call counted by outcome
		OnAttempt:  providerAttempt,
	})
	if err != nil {
		return nil, fail("%v", err) // method, status and error_code: never the token or the description
	}
	return ch, nil
}

// startTelegram starts the channel: in webhook mode it registers the
// webhook and mounts POST /webhooks/telegram on mux; otherwise it long-polls
// until ctx is done. The returned stop shuts the channel down by ctx's
// deadline, whatever the Bot API does: it gives updates and replies until
// telegramSettle before that deadline, then cancels what is left and logs
// how many pieces of work (updates, replies, deletions of "delete my data")
// were left undone: the count, never what they were.
func (m *Main) startTelegram(ctx context.Context, tg *telegram.Channel, mux *http.ServeMux, log *slog.Logger) (stop func(context.Context), err error) {
	if hook := m.env("CITA_TELEGRAM_WEBHOOK_URL", ""); hook != "" {
		regCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := tg.RegisterWebhook(regCtx, hook); err != nil {
			return nil, fail("%v", err) // method, status and error_code only
		}
		mux.Handle("POST /webhooks/telegram", tg.Handler())
		log.Info("telegram: webhook registered")
	} else {
		go func() { _ = tg.Run(ctx) }()
		log.Info("telegram: long polling")
	}
	return func(ctx context.Context) {
		if deadline, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, deadline.Add(-telegramSettle))
			defer cancel()
		}
		if left := tg.Stop(ctx); left > 0 {
			log.Warn("telegram: work left undone at shutdown", "left", left)
		}
	}, nil
}

// telegramSettle is how long Channel.Stop may take after its context ends
// (telegram.Channel.Stop: twice its settle limit).
const telegramSettle = time.Second
