package twilio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Redact deletes, at Twilio, this account's messages (both directions)
// sent more than olderThan before now, with their media (P5). Reminders
// still waiting to go out and messages still in flight are kept; the next
// run takes them once done. It returns how many messages it deleted; an
// error reports what failed, without saying which message.
func (ch *Channel) Redact(now time.Time, olderThan time.Duration) (int, error) {
	return ch.retrier().redact(ch.c.Provider, now, olderThan, ch.c.Log)
}

// retrier retries the way the channel's queue does, reporting attempts.
func (ch *Channel) retrier() retrier {
	return retrier{attempts: ch.c.Attempts, backoff: ch.c.Backoff, report: ch.attempt}
}

// Redact is Channel.Redact for callers with only a Provider, such as
// `bot jobs run redact` while `bot serve` holds the database. Calls that
// fail for a reason that may pass are tried three times, 0.5 s then 1 s
// apart.
func Redact(p Provider, now time.Time, olderThan time.Duration, log *slog.Logger) (int, error) {
	r := retrier{attempts: 3, backoff: 500 * time.Millisecond, report: func(string, bool) {}}
	return r.redact(p, now, olderThan, log)
}

func (r retrier) redact(p Provider, now time.Time, olderThan time.Duration, log *slog.Logger) (int, error) {
	if olderThan < 0 {
		return 0, fmt.Errorf("redact: negative delay %v", olderThan)
	}
	var msgs []Message
	err := r.retry(context.Background(), func() (err error) {
		msgs, err = p.List(Filter{Before: now.Add(-olderThan)})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("redact: list messages: status %d", Status(err))
	}
	deleted, kept, failed := 0, 0, 0
	var first error
	for _, m := range msgs {
		if keep[m.Status] {
			kept++
			continue
		}
		// Repeating a delete whose answer was lost is safe: Twilio then
		// answers 404, which Delete and DeleteMedia take as done.
		err := r.retry(context.Background(), func() error {
			if m.Media > 0 {
				if _, err := p.DeleteMedia(m.SID); err != nil {
					return err
				}
			}
			return p.Delete(m.SID)
		})
		if err != nil {
			failed++
			if first == nil {
				first = fmt.Errorf("status %d", Status(err))
			}
			continue
		}
		deleted++
	}
	log.Info("twilio: redact", "deleted", deleted, "kept", kept, "failed", failed)
	if failed > 0 {
		return deleted, errors.Join(fmt.Errorf("redact: %d of %d messages not deleted", failed, len(msgs)-kept), first)
	}
	return deleted, nil
}

// retrier runs a call again while it fails for a reason that may pass:
// redaction runs outside any request, so it waits in line.
type retrier struct {
	attempts int
	backoff  time.Duration // before the first retry, doubling
	report   func(outcome string, retry bool)
}

// retry runs f until it succeeds, fails for good, has been tried
// r.attempts times, or ctx ends.
func (r retrier) retry(ctx context.Context, f func() error) error {
	wait := r.backoff
	for attempt := 1; ; attempt++ {
		err := f()
		again := err != nil && retryable(err) && attempt < r.attempts
		r.report(outcome(err), again)
		if !again {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
		wait *= 2
	}
}
