package telegram

import (
	"context"
	"errors"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// confirmTimeout bounds the getUpdates call that, on shutdown, tells
// Telegram which updates were handled.
const confirmTimeout = 500 * time.Millisecond

// Run long-polls the Bot API for updates and handles them until ctx is
// done; it returns within about a second of that, having confirmed the
// updates it handled so a restart does not see them again. It removes any
// webhook first: Telegram serves getUpdates only without one.
func (c *Channel) Run(ctx context.Context) error {
	if _, err := c.call(ctx, "deleteWebhook", tgbotapi.Params{"drop_pending_updates": "false"}); err != nil && ctx.Err() == nil {
		c.log.Warn("telegram: delete webhook", "err", err)
	}
	offset := 0
	failures := 0
	for ctx.Err() == nil {
		// Updates wait at Telegram while too many replies wait here.
		for c.out.pending() >= c.maxBacklog && sleep(ctx, time.Second) {
		}
		updates, err := c.poller(ctx).GetUpdates(tgbotapi.UpdateConfig{
			Offset:         offset,
			Timeout:        int(c.pollTimeout / time.Second),
			AllowedUpdates: allowedUpdates,
		})
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			failures++
			c.gaveUp("getUpdates", err)
			sleep(ctx, backoff(failures))
			continue
		}
		failures = 0
		for _, u := range updates {
			err := c.admit(u)
			if errors.Is(err, errBusy) {
				break // fetched again once the replies have caught up
			}
			if u.UpdateID >= offset {
				offset = u.UpdateID + 1
			}
			if err == nil {
				c.handle(u)
			}
		}
	}
	if offset > 0 {
		confirm, cancel := context.WithTimeout(context.Background(), confirmTimeout)
		defer cancel()
		_, _ = c.poller(confirm).GetUpdates(tgbotapi.UpdateConfig{Offset: offset, Limit: 1, AllowedUpdates: allowedUpdates})
	}
	return nil
}

// poller is the bot with its requests bound to ctx, so that cancelling ctx
// ends a long poll at once (tgbotapi's requests take no context).
func (c *Channel) poller(ctx context.Context) *tgbotapi.BotAPI {
	b := *c.bot
	b.Client = &scrubbingClient{ctx: ctx, next: c.http, token: c.token}
	return &b
}

// call makes a Bot API request bound to ctx, with a scrubbed error.
func (c *Channel) call(ctx context.Context, endpoint string, params tgbotapi.Params) (*tgbotapi.APIResponse, error) {
	resp, err := c.poller(ctx).MakeRequest(endpoint, params)
	if err != nil {
		return resp, scrub(err, c.token)
	}
	return resp, nil
}

// backoff is the pause after n failed polls in a row: 1 s doubling to 30 s.
func backoff(n int) time.Duration {
	d := time.Second << min(n-1, 5)
	return min(d, 30*time.Second)
}
