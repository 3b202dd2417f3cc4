package sms

import (
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
	return Redact(ch.c.Provider, now, olderThan, ch.c.Log)
}

// Redact is Channel.Redact for callers with only a Provider, such as
// `bot jobs run redact` while `bot serve` holds the database.
func Redact(p Provider, now time.Time, olderThan time.Duration, log *slog.Logger) (int, error) {
	if olderThan < 0 {
		return 0, fmt.Errorf("redact: negative delay %v", olderThan)
	}
	msgs, err := p.List(Filter{Before: now.Add(-olderThan)})
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
		err := retry(func() error {
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
	log.Info("sms: redact", "deleted", deleted, "kept", kept, "failed", failed)
	if failed > 0 {
		return deleted, errors.Join(fmt.Errorf("redact: %d of %d messages not deleted", failed, len(msgs)-kept), first)
	}
	return deleted, nil
}

// retry runs f up to three times while it fails for a reason that may
// pass, with a short pause: redaction runs outside any request.
func retry(f func() error) error {
	wait := 500 * time.Millisecond
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		if err = f(); err == nil || !retryable(err) {
			return err
		}
		if attempt < 3 {
			time.Sleep(wait)
			wait *= 2
		}
	}
	return err
}
