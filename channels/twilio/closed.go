package twilio

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cita-city/cita/scheduling"
)

// NotifyClosed is what the channel does when a clerk closes an office for a
// day (clerk.Notifier): for each cancelled appointment it finds the
// reminder waiting at Twilio, cancels it, and texts its number that the
// office is closed, in the appointment's language. That reminder is the
// only way back to the resident: we keep no number (P1), so a resident who
// asked for none cannot be told, and told counts only those reached.
//
// Twilio does not list a scheduled message's send time, so a reminder is
// recognized by the confirmation code in its text, which is unique among
// stored appointments. Calls run now, not on the queue, so that the clerk
// learns how many were told; ctx (the clerk's request) bounds them.
func (ch *Channel) NotifyClosed(ctx context.Context, office string, day scheduling.Date, cancelled []scheduling.Appointment) (told int, err error) {
	byCode := make(map[string]scheduling.Appointment, len(cancelled))
	for _, a := range cancelled {
		if a.Office == office && a.Code != "" {
			byCode[a.Code] = a
		}
	}
	if len(byCode) == 0 {
		return 0, nil
	}
	r := ch.retrier()
	var msgs []Message
	if err := r.retry(ctx, func() (err error) {
		msgs, err = ch.c.Provider.List(Filter{})
		return err
	}); err != nil {
		return 0, fmt.Errorf("twilio: notify closed: list reminders: status %d", Status(err))
	}
	var errs []error
	for _, m := range msgs {
		if m.Status != "scheduled" {
			continue
		}
		a, ok := reminderOf(m.Body, byCode)
		if !ok {
			continue
		}
		if err := r.retry(ctx, func() error { return ch.c.Provider.Cancel(m.SID) }); err != nil {
			errs = append(errs, fmt.Errorf("cancel reminder: status %d", Status(err)))
			continue
		}
		body := ch.closedText(a, day)
		if body == "" {
			errs = append(errs, errors.New("no closed-office text"))
			continue
		}
		if err := r.retry(ctx, func() error { return ch.c.Provider.Send(m.To, body) }); err != nil {
			errs = append(errs, fmt.Errorf("send closed notice: status %d", Status(err)))
			continue
		}
		told++
	}
	ch.c.Log.Info(ch.c.Kind.Name+": office closed, residents told", "cancelled", len(byCode), "told", told, "failed", len(errs))
	if err := errors.Join(errs...); err != nil {
		return told, fmt.Errorf("twilio: notify closed: %w", err)
	}
	return told, nil
}

// reminderOf returns the appointment whose code is a word of body: a run
// of the code alphabet (capitals and digits), whatever script is around it.
func reminderOf(body string, byCode map[string]scheduling.Appointment) (scheduling.Appointment, bool) {
	for _, w := range strings.FieldsFunc(body, func(r rune) bool { return (r < 'A' || r > 'Z') && (r < '0' || r > '9') }) {
		if a, ok := byCode[w]; ok {
			return a, true
		}
	}
	return scheduling.Appointment{}, false
}

// closedText is the notice that a's office is closed on day, in a's
// language, or in the program's first one if that has no text.
func (ch *Channel) closedText(a scheduling.Appointment, day scheduling.Date) string {
	p := ch.c.Program
	o, _ := p.Office(a.Office)
	date := day.In(p.Location, 12, 0)
	for i, lang := range []string{a.Lang, p.Languages[0]} {
		if lang == "" || i == 1 && lang == a.Lang {
			continue // none, or tried already
		}
		body := ch.text(lang, "sms.closed", map[string]any{
			"Office": o.Name(lang),
			"Date":   ch.c.Texts.Date(lang, date),
			"Code":   a.Code,
		})
		if body != "" {
			return body
		}
	}
	return ""
}
