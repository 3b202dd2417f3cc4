package twilio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	api "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/cita-city/cita/scheduling"
)

// Reminder reconciliation (docs/PRIVACY.md). A reminder sits at Twilio with
// the code, office, day and time in its text. Cancelling it when the
// appointment goes (cancel, delete my data, a closed office) is a Twilio
// call that can fail for longer than its retries, or be left in the queue
// at shutdown, and we keep no message id to try again later (P1). So a job
// compares what is waiting at Twilio with the database instead: every
// scheduled reminder whose code is no longer an active appointment is
// cancelled, then deleted with the other cancelled reminders. It needs no
// phone number: the code is in the text.

// Appointments says which confirmation codes are those of active
// appointments; storage.Store implements it.
type Appointments interface {
	Active(codes []string) (map[string]bool, error)
}

// Outbox is the part of Twilio reconciliation needs; Twilio implements it.
type Outbox interface {
	// Reminders calls fn with every message sent through the Messaging
	// Service that is scheduled or was cancelled before going out, with
	// its SID, status and text (never the number).
	Reminders(fn func(Message)) error
	Cancel(sid string) error
	Delete(sid string) error
}

var _ Outbox = (*Twilio)(nil)

// Reminders implements Outbox. Twilio's message list has no status filter,
// so it pages through every message of the account (1,000 a page); the
// redact job keeps that list short (sent messages live an hour by default).
func (t *Twilio) Reminders(fn func(Message)) error {
	msgs, errs := t.api.StreamMessage((&api.ListMessageParams{}).SetPageSize(1000))
	for m := range msgs {
		st := deref(m.Status)
		if (st != "scheduled" && st != "canceled") || deref(m.MessagingServiceSid) != t.service {
			continue
		}
		fn(Message{SID: deref(m.Sid), Status: st, Body: deref(m.Body)})
	}
	return <-errs
}

// Reconciled is what a reconciliation found and did at Twilio.
type Reconciled struct {
	Kept      int // scheduled reminders of active appointments, left alone
	Cancelled int // scheduled reminders whose code is no longer active
	Deleted   int // cancelled reminders deleted, those cancelled now included
	// Undeleted counts cancelled reminders Twilio refused to delete yet
	// (it may, for a minute or so after a cancel); the next run tries again.
	Undeleted int
	Others    int // scheduled messages that carry no code: not ours, left alone
	Failed    int // reminders a call failed for; the next run tries again
}

func (r Reconciled) String() string {
	return fmt.Sprintf("%d reminders of active appointments kept, %d of gone appointments cancelled, %d cancelled reminders deleted (%d not yet), %d other scheduled messages left alone, %d failed",
		r.Kept, r.Cancelled, r.Deleted, r.Undeleted, r.Others, r.Failed)
}

// Reconcile cancels, at Twilio, every scheduled reminder whose code is not
// an active appointment in appts, and deletes cancelled reminders. Serve
// runs it at start and every hour; ctx ends it between calls (shutdown).
// The channel's retry settings apply. Its Provider must be an Outbox.
func (ch *Channel) Reconcile(ctx context.Context, appts Appointments) (Reconciled, error) {
	box, ok := ch.c.Provider.(Outbox)
	if !ok {
		return Reconciled{}, errors.New("reconcile: the provider cannot list reminders")
	}
	return ch.retrier().reconcile(ctx, box, appts, ch.c.Log)
}

// Reconcile is Channel.Reconcile for `bot jobs run reconcile`: calls that
// fail for a reason that may pass are tried three times, 0.5 s then 1 s
// apart.
func Reconcile(ctx context.Context, box Outbox, appts Appointments, log *slog.Logger) (Reconciled, error) {
	r := retrier{attempts: 3, backoff: 500 * time.Millisecond, report: func(string, bool) {}}
	return r.reconcile(ctx, box, appts, log)
}

// heldReminder is a reminder as reconciliation holds it: no text, no number.
type heldReminder struct {
	sid       string
	scheduled bool // else cancelled
	codes     []string
}

func (r retrier) reconcile(ctx context.Context, box Outbox, appts Appointments, log *slog.Logger) (Reconciled, error) {
	var rep Reconciled
	var found []heldReminder
	var codes []string
	err := r.retry(ctx, func() error {
		found, codes, rep.Others = found[:0], codes[:0], 0
		return box.Reminders(func(m Message) {
			w := heldReminder{sid: m.SID, scheduled: m.Status == "scheduled", codes: codesIn(m.Body)}
			if len(w.codes) == 0 {
				if w.scheduled {
					rep.Others++
				}
				return
			}
			found = append(found, w)
			codes = append(codes, w.codes...)
		})
	})
	if err != nil {
		return rep, fmt.Errorf("reconcile: list messages: status %d", Status(err))
	}
	active, err := appts.Active(codes)
	if err != nil {
		return rep, fmt.Errorf("reconcile: %w", err)
	}
	var first error
	defer func() {
		log.Info("twilio: reconcile reminders", "kept", rep.Kept, "cancelled", rep.Cancelled, "deleted", rep.Deleted,
			"undeleted", rep.Undeleted, "others", rep.Others, "failed", rep.Failed)
	}()
	for i, w := range found {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("reconcile: stopped with %d of %d reminders to go: %w", len(found)-i, len(found), err)
		}
		if w.scheduled {
			if slices.ContainsFunc(w.codes, func(c string) bool { return active[c] }) {
				rep.Kept++
				continue
			}
			err := r.retry(ctx, func() error { return box.Cancel(w.sid) })
			switch {
			case err == nil:
				rep.Cancelled++
			case retryable(err):
				rep.Failed++
				first = cmpOr(first, fmt.Errorf("cancel: status %d", Status(err)))
				continue
			}
			// Refused (4xx): most likely the queue cancelled it since the
			// listing; the delete below fails if it is still scheduled.
		}
		// A cancelled reminder still holds the code, office, day and time
		// and the number at Twilio, and the redact job never sees it (it
		// was never sent): delete it.
		err := r.retry(ctx, func() error { return box.Delete(w.sid) })
		switch {
		case err == nil:
			rep.Deleted++
		case retryable(err):
			rep.Failed++
			first = cmpOr(first, fmt.Errorf("delete: status %d", Status(err)))
		default:
			rep.Undeleted++
		}
	}
	if first != nil {
		return rep, fmt.Errorf("reconcile: %d reminders not done: %w", rep.Failed, first)
	}
	return rep, nil
}

// cmpOr returns err if it is not nil, else next.
func cmpOr(err, next error) error {
	if err != nil {
		return err
	}
	return next
}

// codesIn returns the confirmation codes a reminder's text may carry: every
// run of exactly scheduling.CodeLen ASCII letters and digits, bounded by
// anything else, made of scheduling.CodeAlphabet only. Every locale's
// reminder writes the code so (beside spaces, punctuation, CJK or Arabic
// script, or directional isolates); other capitals of that shape (an
// address in capitals) come along, and only the store can tell a code.
func codesIn(body string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(body); i++ {
		if i < len(body) && isASCIIAlnum(body[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start == scheduling.CodeLen && scheduling.ValidCode(body[start:i]) && !slices.Contains(out, body[start:i]) {
			out = append(out, body[start:i])
		}
		start = -1
	}
	return out
}

func isASCIIAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
}
