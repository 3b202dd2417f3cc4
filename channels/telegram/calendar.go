package telegram

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/scheduling"
)

// event is one appointment as a calendar file describes it.
type event struct {
	UID         string
	Sequence    int64 // revision: a moved appointment keeps its UID, so the phone updates it
	Summary     string
	Description string
	Location    string
	Alarm       string        // text of the reminder
	Lead        time.Duration // reminder this long before Start
	Start, End  time.Time     // in the office's zone
	Stamp       time.Time     // when the file was made (DTSTAMP)
	// Cancelled withdraws the event: the phone removes the one with the
	// same UID and a lower SEQUENCE.
	Cancelled bool
}

// icsTime is the RFC 5545 local "floating" form, used with a TZID.
const icsTime = "20060102T150405"

// calendarFile renders e as an RFC 5545 calendar: one VEVENT with local
// start and end tagged with the zone's IANA name, a VTIMEZONE describing that
// zone around the event (phones that do not know the name still place it
// right; those that do use their own rules), and a VALARM before the start.
// A cancelled event is sent with METHOD:CANCEL and STATUS:CANCELLED (RFC
// 5546) and no alarm.
func calendarFile(e event) []byte {
	method, status := "PUBLISH", "CONFIRMED"
	if e.Cancelled {
		method, status = "CANCEL", "CANCELLED"
	}
	zone := e.Start.Location().String()
	var b strings.Builder
	line := func(name, value string) { fold(&b, name+value) }
	line("BEGIN:", "VCALENDAR")
	line("VERSION:", "2.0")
	line("PRODID:", "-//cita//Telegram channel//EN")
	line("CALSCALE:", "GREGORIAN")
	line("METHOD:", method)
	writeTimezone(&b, e.Start)
	line("BEGIN:", "VEVENT")
	line("UID:", e.UID)
	line("SEQUENCE:", strconv.FormatInt(e.Sequence, 10))
	line("DTSTAMP:", e.Stamp.UTC().Format(icsTime)+"Z")
	line("DTSTART;TZID="+zone+":", e.Start.Format(icsTime))
	line("DTEND;TZID="+zone+":", e.End.In(e.Start.Location()).Format(icsTime))
	line("SUMMARY:", escapeText(e.Summary))
	line("LOCATION:", escapeText(e.Location))
	if e.Description != "" {
		line("DESCRIPTION:", escapeText(e.Description))
	}
	line("STATUS:", status)
	line("TRANSP:", "OPAQUE")
	if e.Lead > 0 && !e.Cancelled {
		line("BEGIN:", "VALARM")
		line("ACTION:", "DISPLAY")
		line("TRIGGER:", "-"+icsDuration(e.Lead))
		line("DESCRIPTION:", escapeText(e.Alarm))
		line("END:", "VALARM")
	}
	line("END:", "VEVENT")
	line("END:", "VCALENDAR")
	return []byte(b.String())
}

// writeTimezone writes a VTIMEZONE for t's zone covering a year either side
// of t: one observance per offset change found, or a single STANDARD one for
// a zone without changes.
func writeTimezone(b *strings.Builder, t time.Time) {
	loc := t.Location()
	line := func(s string) { fold(b, s) }
	line("BEGIN:VTIMEZONE")
	line("TZID:" + loc.String())
	changes := transitions(t.AddDate(-1, 0, 0), t.AddDate(1, 0, 0))
	if len(changes) == 0 {
		name, off := t.Zone()
		line("BEGIN:STANDARD")
		line("DTSTART:19700101T000000")
		line("TZOFFSETFROM:" + icsOffset(off))
		line("TZOFFSETTO:" + icsOffset(off))
		line("TZNAME:" + escapeText(name))
		line("END:STANDARD")
	}
	for _, c := range changes {
		kind := "STANDARD"
		if c.at.IsDST() {
			kind = "DAYLIGHT"
		}
		name, to := c.at.Zone()
		line("BEGIN:" + kind)
		// DTSTART is the onset in the local time in force before it.
		line("DTSTART:" + c.at.In(time.FixedZone("", c.from)).Format(icsTime))
		line("TZOFFSETFROM:" + icsOffset(c.from))
		line("TZOFFSETTO:" + icsOffset(to))
		line("TZNAME:" + escapeText(name))
		line("END:" + kind)
	}
	line("END:VTIMEZONE")
}

type transition struct {
	at   time.Time // first instant of the new offset, in the zone
	from int       // offset before, seconds east of UTC
}

// transitions finds the instants in [from, to) where the zone's UTC offset
// changes, to the second. from and to carry the zone.
func transitions(from, to time.Time) []transition {
	var out []transition
	const step = 24 * time.Hour
	for t := from; t.Before(to); t = t.Add(step) {
		_, a := t.Zone()
		next := t.Add(step)
		if _, b := next.Zone(); a == b {
			continue
		}
		lo, hi := t, next // offset(lo) = a, offset(hi) != a
		for hi.Sub(lo) > time.Second {
			mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
			if _, m := mid.Zone(); m == a {
				lo = mid
			} else {
				hi = mid
			}
		}
		out = append(out, transition{at: hi, from: a})
	}
	return out
}

// icsOffset formats a UTC offset as RFC 5545 utc-offset: +HHMM or +HHMMSS.
func icsOffset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	s := fmt.Sprintf("%s%02d%02d", sign, sec/3600, sec%3600/60)
	if sec%60 != 0 {
		s += fmt.Sprintf("%02d", sec%60)
	}
	return s
}

// icsDuration formats a positive duration as RFC 5545 dur-value, in whole
// days when it is some, else hours, minutes and seconds.
func icsDuration(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("P%dD", d/(24*time.Hour))
	}
	d = d.Round(time.Second)
	s := "PT"
	if h := d / time.Hour; h > 0 {
		s += fmt.Sprintf("%dH", h)
	}
	if m := d % time.Hour / time.Minute; m > 0 {
		s += fmt.Sprintf("%dM", m)
	}
	if sec := d % time.Minute / time.Second; sec > 0 || s == "PT" {
		s += fmt.Sprintf("%dS", sec)
	}
	return s
}

// escapeText escapes an RFC 5545 TEXT value.
func escapeText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(s)
}

// fold writes a content line, folded at 75 octets without splitting a UTF-8
// sequence, ending in CRLF.
func fold(b *strings.Builder, s string) {
	const limit = 75
	first := true
	for len(s) > 0 {
		room := limit
		if !first {
			room = limit - 1 // the leading space counts
		}
		if len(s) <= room {
			if !first {
				b.WriteByte(' ')
			}
			b.WriteString(s)
			break
		}
		cut := room
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if !first {
			b.WriteByte(' ')
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n")
		s = s[cut:]
		first = false
	}
	b.WriteString("\r\n")
}

// calendarJob builds the calendar file of an appointment, in memory only,
// and the job that sends it as a document. The chat remembers the file's
// code and SEQUENCE, so that a cancel can withdraw it; a moved appointment's
// file keeps the UID and raises the SEQUENCE, so the phone moves the event.
func (c *Channel) calendarJob(chatID int64, a scheduling.Appointment, lang string, now time.Time) (job, bool) {
	e, data, ok := c.appointmentEvent(a, lang, now)
	if !ok {
		return job{}, false
	}
	e.Sequence = now.Unix() / 60
	c.mem.with(chatID, now, func(st *chat) {
		if prev, ok := st.calendars[a.Code]; ok && e.Sequence <= prev {
			e.Sequence = prev + 1 // moved twice within a minute
		}
		if st.calendars == nil {
			st.calendars = map[string]int64{}
		}
		st.calendars[a.Code] = e.Sequence
	})
	return c.documentJob(chatID, a, e, c.text(lang, "telegram.ics.caption", data)), true
}

// withdrawal is a calendar file sent to a chat whose appointment is gone.
type withdrawal struct {
	appt     scheduling.Appointment
	sequence int64 // of the last file sent
}

// withdrawals returns, and forgets, the calendar files this chat was sent
// for the appointments that effects cancel or delete. Call it before
// "delete my data" forgets the chat.
func (c *Channel) withdrawals(chatID int64, effects []conversations.Effect, now time.Time) []withdrawal {
	var out []withdrawal
	for _, e := range effects {
		if (e.Kind != conversations.Cancelled && e.Kind != conversations.Forgotten) || e.Appointment.Code == "" {
			continue
		}
		c.mem.with(chatID, now, func(st *chat) {
			if seq, ok := st.calendars[e.Appointment.Code]; ok {
				out = append(out, withdrawal{appt: e.Appointment, sequence: seq})
				delete(st.calendars, e.Appointment.Code)
			}
		})
	}
	return out
}

// cancelJob builds the calendar file that withdraws w's event (same UID,
// SEQUENCE one higher, METHOD:CANCEL) and the job that sends it.
func (c *Channel) cancelJob(chatID int64, w withdrawal, lang string, now time.Time) (job, bool) {
	e, data, ok := c.appointmentEvent(w.appt, lang, now)
	if !ok {
		return job{}, false
	}
	e.Sequence = w.sequence + 1
	e.Cancelled = true
	return c.documentJob(chatID, w.appt, e, c.text(lang, "telegram.ics.cancelled", data)), true
}

// appointmentEvent describes a as a calendar event in lang (Sequence left
// to the caller), with the data its texts are made from.
func (c *Channel) appointmentEvent(a scheduling.Appointment, lang string, now time.Time) (event, map[string]any, bool) {
	office, ok := c.program.Office(a.Office)
	if !ok || a.Start.IsZero() {
		return event{}, nil, false
	}
	name := office.Names[lang]
	if name == "" {
		name = office.Names[c.defaultLang()]
	}
	start := a.Start.In(c.program.Location)
	minutes := office.SlotMinutes
	if minutes <= 0 {
		minutes = 15
	}
	lead := c.program.ReminderLead
	if lead <= 0 {
		lead = 24 * time.Hour
	}
	data := map[string]any{
		"Program": c.program.Name,
		"Office":  name,
		"Address": office.Address,
		"Code":    a.Code,
		"Date":    c.messages.Date(lang, start),
		"Time":    c.messages.Time(lang, start),
	}
	description := c.text(lang, "telegram.ics.description", data)
	// A family's calendar entry says how many are booked, as the
	// confirmation did.
	if a.People() > 1 {
		if people, err := c.messages.Count(lang, "appointment.people", a.People(), nil); err == nil {
			description += "\n" + people
		}
	}
	return event{
		UID:         a.Code + "@cita",
		Summary:     c.text(lang, "telegram.ics.title", data),
		Description: description,
		Location:    name + ", " + office.Address,
		Alarm:       c.text(lang, "telegram.ics.alarm", data),
		Lead:        lead,
		Start:       start,
		End:         start.Add(time.Duration(minutes) * time.Minute),
		Stamp:       now,
	}, data, true
}

// documentJob sends e as a calendar file with caption, remembering the
// message for "delete my data".
func (c *Channel) documentJob(chatID int64, a scheduling.Appointment, e event, caption string) job {
	doc := tgbotapi.NewDocument(chatID, tgbotapi.FileBytes{Name: "appointment-" + a.Code + ".ics", Bytes: calendarFile(e)})
	doc.Caption = caption
	return job{chat: chatID, message: true, call: doc, sent: func(m tgbotapi.Message) { c.mem.note(chatID, m.MessageID, c.Now()) }}
}
