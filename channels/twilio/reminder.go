package twilio

import (
	"encoding/json"
	"errors"
	"strings"
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
	out    Outgoing
	sendAt time.Time // UTC
	// vars are a templated reminder's variables: Twilio lists such a
	// message with the template rendered, so a pending one is this
	// reminder when its text holds every one of them.
	vars []string
}

// is reports whether a pending message to this channel's address with
// text body is rem.
func (rem reminder) is(body string) bool {
	if rem.out.ContentSID == "" {
		return body == rem.out.Body
	}
	for _, v := range rem.vars {
		if !strings.Contains(body, v) {
			return false
		}
	}
	return len(rem.vars) > 0
}

// addr is number as Twilio writes it on this channel ("whatsapp:+1...").
func (ch *Channel) addr(number string) string { return ch.c.Kind.Prefix + number }

// addresses are the forms of number reminders may wait at: this channel's
// first, then those of the account's other Twilio channels, so that a
// reminder made on WhatsApp is found when the resident cancels by SMS.
func (ch *Channel) addresses(number string) []string {
	out := []string{ch.addr(number)}
	for _, p := range ch.c.OtherPrefixes {
		if p != ch.c.Kind.Prefix {
			out = append(out, p+number)
		}
	}
	return out
}

// Reminds reports whether the channel can send a reminder in lang: always
// as plain text, only with a template where reminders are templates.
func (ch *Channel) Reminds(lang string) bool {
	return ch.c.Kind.Templates == nil || ch.c.Kind.Templates[lang] != ""
}

// effects queues the Twilio calls a reply's effects ask for.
func (ch *Channel) effects(to string, reply conversations.Reply, now time.Time) {
	for _, e := range reply.Effects {
		switch e.Kind {
		case conversations.ReminderWanted:
			if rem, ok := ch.reminder(e.Appointment, reply.Lang, now); ok {
				ch.replaceReminder(to, rem)
			}
		case conversations.ReminderDeclined:
			// A reminder carried over from before a move must not outlive a no.
			ch.cancelReminders(to, "declined")
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
		ch.c.Log.Info(ch.c.Kind.Name + ": reminder outside Twilio's scheduling window, not made")
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
	date, clock := ch.c.Texts.Date(lang, start), ch.c.Texts.Time(lang, start)
	if ch.c.Kind.Templates != nil {
		sid := ch.c.Kind.Templates[lang]
		if sid == "" {
			ch.c.Log.Info(ch.c.Kind.Name+": no reminder template in the appointment's language, not made", "lang", lang)
			return reminder{}, false
		}
		vars := []string{a.Code, date + " " + clock, name + ", " + office.Address}
		js, err := json.Marshal(map[string]string{"1": vars[0], "2": vars[1], "3": vars[2]})
		if err != nil {
			return reminder{}, false
		}
		return reminder{out: Outgoing{ContentSID: sid, ContentVariables: string(js)}, sendAt: sendAt, vars: vars}, true
	}
	body := ch.text(lang, "sms.reminder", map[string]any{
		"Code":    a.Code,
		"Office":  name,
		"Address": office.Address,
		"Date":    date,
		"Time":    clock,
	})
	if body == "" {
		return reminder{}, false
	}
	// A family's reminder says how many are expected ("For 3 people"), as
	// the confirmation did; a party of one needs no such line.
	if a.People() > 1 {
		if people, err := ch.c.Texts.Count(lang, "appointment.people", a.People(), nil); err == nil {
			body += "\n" + people
		}
	}
	return reminder{out: Outgoing{Body: body}, sendAt: sendAt}, true
}

// pending returns the reminders waiting at Twilio for number to, at any of
// its addresses.
func (ch *Channel) pending(to string) ([]Message, error) {
	var out []Message
	for _, a := range ch.addresses(to) {
		msgs, err := ch.c.Provider.List(Filter{To: a})
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if m.Status == "scheduled" {
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// cancelAll cancels every reminder pending for to and reports how many
// there were. It is safe to repeat: a cancel whose answer was lost (a
// timeout) leaves a message no longer "scheduled", which the next listing
// skips.
func (ch *Channel) cancelAll(to string) (int, error) {
	n, _, err := ch.keep(to, nil)
	return n, err
}

// keep cancels every reminder pending for to except the first at this
// channel's address that is rem (none when rem is nil). It reports how many
// were pending, the kept one included (also on error), and whether one was
// kept.
func (ch *Channel) keep(to string, rem *reminder) (n int, kept bool, err error) {
	msgs, err := ch.pending(to)
	if err != nil {
		return 0, false, err
	}
	for _, m := range msgs {
		if rem != nil && !kept && m.To == ch.addr(to) && rem.is(m.Body) {
			kept = true
			continue
		}
		if err := ch.c.Provider.Cancel(m.SID); err != nil {
			// Say how many there were even so: a retry may find none left
			// (this cancel may have taken effect) yet must know of them.
			return len(msgs), false, err
		}
	}
	return len(msgs), kept, nil
}

// cancelReminders queues cancelling every pending reminder to to.
func (ch *Channel) cancelReminders(to, why string) {
	ch.queue.add(job{kind: "cancel reminders (" + why + ")", key: to, run: func() error {
		_, err := ch.cancelAll(to)
		return err
	}})
}

// ensure makes rem the one reminder pending for to, and is safe to repeat.
//
// Creating a message is the one Twilio call that is not idempotent: a
// create that timed out on our side may still have been made at Twilio,
// and a plain retry would then schedule the reminder twice. So every
// attempt first lists what is pending for the number: a reminder with the
// same text (the text names the code, office, day and time, so the same
// text is the same reminder) is kept and nothing is created; every other
// pending reminder, a duplicate of it included, is cancelled. A create
// whose effect shows up at Twilio only after the next attempt has listed
// could still leave two; the next change for the number (move, cancel,
// delete my data, asking again) cancels the extra one.
func (ch *Channel) ensure(to string, rem reminder) error {
	_, kept, err := ch.keep(to, &rem)
	if err != nil || kept {
		return err
	}
	return ch.c.Provider.Schedule(ch.addr(to), rem.out, rem.sendAt)
}

// replaceReminder queues making rem the one reminder pending for to.
func (ch *Channel) replaceReminder(to string, rem reminder) {
	ch.queue.add(job{kind: "schedule reminder", key: to, run: func() error {
		return ch.ensure(to, rem)
	}})
}

// moveReminder queues moving to's reminder: cancel what is pending and, if
// something was (the resident wanted a reminder) and ok, schedule rem.
func (ch *Channel) moveReminder(to string, rem reminder, ok bool) {
	var hadOne bool // survives retries: the first attempt may cancel it
	ch.queue.add(job{kind: "move reminder", key: to, run: func() error {
		if !ok {
			_, err := ch.cancelAll(to)
			return err
		}
		// A retry finds the new reminder (made by an attempt whose answer
		// was lost) and keeps it, like ensure.
		n, kept, err := ch.keep(to, &rem)
		hadOne = hadOne || n > 0
		if err != nil {
			return err
		}
		if !hadOne || kept {
			return nil
		}
		return ch.c.Provider.Schedule(ch.addr(to), rem.out, rem.sendAt)
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
		var filters []Filter
		for _, a := range ch.addresses(number) {
			filters = append(filters, Filter{To: a}, Filter{From: a})
		}
		for _, f := range filters {
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
