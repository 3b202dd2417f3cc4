package telegram

import (
	"context"
	"errors"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// confirmTimeout bounds the getUpdates call that, on shutdown, tells
// Telegram which updates were taken.
const confirmTimeout = 500 * time.Millisecond

// DefaultPollGap is the least time between two getUpdates calls when the
// first returned nothing. A real long poll waits PollTimeout for an update,
// so the gap only shows when something answers at once.
const DefaultPollGap = time.Second

// Run long-polls the Bot API for updates and takes them until ctx is done
// or Stop begins; it returns within about a second of that, having
// confirmed the updates it took so a restart does not see them again. It
// removes any webhook first: Telegram serves getUpdates only without one.
func (c *Channel) Run(ctx context.Context) error {
	if !c.in.startPolling() {
		return nil
	}
	defer c.in.stopPolling()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.closing:
			cancel()
		case <-ctx.Done():
		}
	}()

	if _, err := c.call(ctx, "deleteWebhook", tgbotapi.Params{"drop_pending_updates": "false"}); err != nil && ctx.Err() == nil {
		c.gaveUp("deleteWebhook", err)
	}
	offset := 0
	failures := 0
	for ctx.Err() == nil {
		// Updates wait at Telegram while too many replies wait here.
		for c.out.pending()+c.in.pending() >= c.maxBacklog && sleep(ctx, time.Second) {
		}
		gap := time.NewTimer(c.pollGap)
		updates, err := c.getUpdates(ctx, tgbotapi.UpdateConfig{
			Offset:         offset,
			Timeout:        int(c.pollTimeout / time.Second),
			AllowedUpdates: allowedUpdates,
		})
		if err != nil {
			gap.Stop()
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
			if err == nil && errors.Is(c.handle(u), errStopping) {
				break // not confirmed: delivered again after the restart
			}
			if u.UpdateID >= offset {
				offset = u.UpdateID + 1
			}
		}
		if len(updates) == 0 {
			select {
			case <-gap.C:
			case <-ctx.Done():
			}
		}
		gap.Stop()
	}
	if offset > 0 {
		confirm, cancel := context.WithTimeout(context.Background(), confirmTimeout)
		defer cancel()
		_, _ = c.getUpdates(confirm, tgbotapi.UpdateConfig{Offset: offset, Limit: 1, AllowedUpdates: allowedUpdates})
	}
	return nil
}

// getUpdates is one getUpdates call bound to ctx.
func (c *Channel) getUpdates(ctx context.Context, cfg tgbotapi.UpdateConfig) ([]tgbotapi.Update, error) {
	var updates []tgbotapi.Update
	_, err := call(c.poller(ctx), "getUpdates", func(b *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) {
		var err error
		updates, err = b.GetUpdates(cfg)
		return nil, err
	})
	return updates, err
}

// poller is the bot with its requests bound to ctx, so that cancelling ctx
// ends a long poll at once (tgbotapi's requests take no context).
func (c *Channel) poller(ctx context.Context) *tgbotapi.BotAPI {
	b := *c.bot
	b.Client = &scrubbingClient{ctx: ctx, next: c.http, token: c.token}
	return &b
}

// call makes a Bot API request bound to ctx; its error is a *callError.
func (c *Channel) call(ctx context.Context, endpoint string, params tgbotapi.Params) (*tgbotapi.APIResponse, error) {
	return call(c.poller(ctx), endpoint, func(b *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) {
		return b.MakeRequest(endpoint, params)
	})
}

// backoff is the pause after n failed polls in a row: 1 s doubling to 30 s.
func backoff(n int) time.Duration {
	d := time.Second << min(n-1, 5)
	return min(d, 30*time.Second)
}
