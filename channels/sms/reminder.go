package sms

import (
	"errors"
	"time"

	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/scheduling"
)

// Twilio's window for a scheduled message: at least 15 minutes and at most
// 35 days ahead. A reminder outside it is not made.
const (
	minScheduleAhead = 15 * time.Minute
	maxScheduleAhead = 35 * 24 * time.Hour
)

// reminder is a reminder ready to schedule: the number sits at Twilio from
// then on, not with us (we keep no message id, P1).
type reminder struct {
	body   string
	sendAt time.Time // UTC
}

// effects queues the Twilio calls a reply's effects ask for.
func (ch *Channel) effects(to string, reply conversations.Reply, now time.Time) {
	for _, e := range reply.Effects {
		switch e.Kind {
		case conversations.ReminderWanted:
			if rem, ok := ch.reminder(e.Appointment, reply.Lang, now); ok {
				ch.replaceReminder(to, rem)
			}
		case conversations.Moved:
			rem, ok := ch.reminder(e.Appointment, reply.Lang, now)
			ch.moveReminder(to, rem, ok)
		case conversations.Cancelled:
			ch.cancelReminders(to, "cancel")
		case conversations.Forgotten:
			ch.forget(to)
		}
	}
}

// reminder builds the reminder of a, in the appointment's language, and
// reports whether Twilio's window allows scheduling it.
func (ch *Channel) reminder(a scheduling.Appointment, lang string, now time.Time) (reminder, bool) {
	sendAt := a.Start.Add(-ch.c.Program.ReminderLead).UTC()
	if sendAt.Before(now.Add(minScheduleAhead)) || sendAt.After(now.Add(maxScheduleAhead)) {
		ch.c.Log.Info("sms: reminder outside Twilio's scheduling window, not made")
		return reminder{}, false
	}
	if a.Lang != "" {
		lang = a.Lang
	}
	office, _ := ch.c.Program.Office(a.Office)
	name := office.Names[lang]
	if name == "" {
		name = office.Names[ch.c.Program.Languages[0]]
	}
	start := a.Start.In(ch.c.Program.Location)
	body := ch.text(lang, "sms.reminder", map[string]any{
		"Code":    a.Code,
		"Office":  name,
		"Address": office.Address,
		"Date":    ch.c.Texts.Date(lang, start),
		"Time":    ch.c.Texts.Time(lang, start),
	})
	if body == "" {
		return reminder{}, false
	}
	return reminder{body: body, sendAt: sendAt}, true
}

// pending returns the SIDs of reminders waiting at Twilio for number to.
func (ch *Channel) pending(to string) ([]string, error) {
	msgs, err := ch.c.Provider.List(Filter{To: to})
	if err != nil {
		return nil, err
	}
	var sids []string
	for _, m := range msgs {
		if m.Status == "scheduled" {
			sids = append(sids, m.SID)
		}
	}
	return sids, nil
}

// cancelAll cancels every reminder pending for to and reports how many
// there were.
func (ch *Channel) cancelAll(to string) (int, error) {
	sids, err := ch.pending(to)
	if err != nil {
		return 0, err
	}
	for _, sid := range sids {
		if err := ch.c.Provider.Cancel(sid); err != nil {
			return 0, err
		}
	}
	return len(sids), nil
}

// cancelReminders queues cancelling every pending reminder to to.
func (ch *Channel) cancelReminders(to, why string) {
	ch.queue.add(job{kind: "cancel reminders (" + why + ")", key: to, run: func() error {
		_, err := ch.cancelAll(to)
		return err
	}})
}

// replaceReminder queues making rem the one reminder pending for to. It
// cancels any other first, so that a retry after a half-done attempt (a
// 5xx may still have created the message) never leaves two.
func (ch *Channel) replaceReminder(to string, rem reminder) {
	ch.queue.add(job{kind: "schedule reminder", key: to, run: func() error {
		if _, err := ch.cancelAll(to); err != nil {
			return err
		}
		return ch.c.Provider.Schedule(to, rem.body, rem.sendAt)
	}})
}

// moveReminder queues moving to's reminder: cancel what is pending and, if
// something was (the resident wanted a reminder) and ok, schedule rem.
func (ch *Channel) moveReminder(to string, rem reminder, ok bool) {
	var hadOne bool // survives retries: the first attempt may cancel it
	ch.queue.add(job{kind: "move reminder", key: to, run: func() error {
		n, err := ch.cancelAll(to)
		if err != nil {
			return err
		}
		hadOne = hadOne || n > 0
		if !hadOne || !ok {
			return nil
		}
		return ch.c.Provider.Schedule(to, rem.body, rem.sendAt)
	}})
}

// deleteMessage queues deleting a received message and its media (MMS).
// The number is only the queue's ordering key.
func (ch *Channel) deleteMessage(from, sid string) {
	if sid == "" {
		return
	}
	ch.queue.add(job{kind: "delete media", key: from, run: func() error {
		if _, err := ch.c.Provider.DeleteMedia(sid); err != nil {
			return err
		}
		return ch.c.Provider.Delete(sid)
	}})
}

// forget queues "delete my data" at Twilio: cancel pending reminders, then
// delete every message to or from the number with its media, best effort.
// Messages still in flight (our reply to this very request) are left to
// the redact job.
func (ch *Channel) forget(number string) {
	ch.queue.add(job{kind: "forget", key: number, run: func() error {
		if _, err := ch.cancelAll(number); err != nil {
			return err
		}
		var errs []error
		for _, f := range []Filter{{To: number}, {From: number}} {
			msgs, err := ch.c.Provider.List(f)
			if err != nil {
				return err
			}
			for _, m := range msgs {
				if keep[m.Status] {
					continue
				}
				errs = append(errs, ch.deleteWithMedia(m))
			}
		}
		return errors.Join(errs...)
	}})
}

// deleteWithMedia deletes m's media, if any, then m.
func (ch *Channel) deleteWithMedia(m Message) error {
	if m.Media > 0 {
		if _, err := ch.c.Provider.DeleteMedia(m.SID); err != nil {
			return err
		}
	}
	return ch.c.Provider.Delete(m.SID)
}
