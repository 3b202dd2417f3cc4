package telegram

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/scheduling"
)

// TestCancelWithdrawsCalendarFile: after a booking's calendar file, a
// cancel (or delete my data) sends a file with the same UID, a higher
// SEQUENCE, METHOD:CANCEL and STATUS:CANCELLED, so the phone removes the
// event. A chat that was never sent a file gets none.
func TestCancelWithdrawsCalendarFile(t *testing.T) {
	loc, _ := time.LoadLocation("America/Chicago")
	start := time.Date(2026, 12, 1, 9, 40, 0, 0, loc)
	appt := scheduling.Appointment{Office: "city-hall", Start: start.UTC(), Lang: "es", Code: "K7P2QX", Status: scheduling.StatusBooked}
	for _, tc := range []struct {
		name    string
		kind    conversations.EffectKind
		booked  bool // a calendar file was sent first
		wantDoc int
	}{
		{"cancelled", conversations.Cancelled, true, 2},
		{"forgotten", conversations.Forgotten, true, 2},
		{"cancelled, no file sent", conversations.Cancelled, false, 0},
		{"forgotten, no file sent", conversations.Forgotten, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.engine.reply = func(in conversations.Inbound) conversations.Reply {
				kind := conversations.Booked
				if in.Text == "bye" {
					kind = tc.kind
				}
				return conversations.Reply{Lang: "es", Text: "OK", Effects: []conversations.Effect{{Kind: kind, Appointment: appt}}}
			}
			if tc.booked {
				f.deliver(t, f.api.Text(ana, ana, "es", "book"))
				f.settle(t)
			}
			f.deliver(t, f.api.Text(ana, ana, "es", "bye"))
			f.settle(t)
			docs := f.api.Requests("sendDocument")
			if len(docs) != tc.wantDoc {
				t.Fatalf("%d documents sent, want %d", len(docs), tc.wantDoc)
			}
			if tc.wantDoc == 0 {
				return
			}
			booked, cancel := parseEvent(t, docs[0].File), parseEvent(t, docs[1].File)
			if got := cancel.cal.CalendarProperties; calMethod(got) != "CANCEL" {
				t.Errorf("METHOD %q, want CANCEL", calMethod(got))
			}
			if calMethod(booked.cal.CalendarProperties) != "PUBLISH" {
				t.Errorf("booking METHOD %q, want PUBLISH", calMethod(booked.cal.CalendarProperties))
			}
			if got := prop(cancel.ev, ics.ComponentPropertyStatus); got != "CANCELLED" {
				t.Errorf("STATUS %q, want CANCELLED", got)
			}
			if got, want := prop(cancel.ev, ics.ComponentPropertyUniqueId), prop(booked.ev, ics.ComponentPropertyUniqueId); got != want || got != "K7P2QX@cita" {
				t.Errorf("UID %q, want the booking's %q", got, want)
			}
			seq, _ := strconv.Atoi(prop(booked.ev, ics.ComponentPropertySequence))
			if got := prop(cancel.ev, ics.ComponentPropertySequence); got != strconv.Itoa(seq+1) {
				t.Errorf("SEQUENCE %s, want %d", got, seq+1)
			}
			if len(cancel.ev.Alarms()) != 0 {
				t.Errorf("a withdrawn event has alarms")
			}
			if got, err := cancel.ev.GetStartAt(); err != nil || !got.Equal(start) {
				t.Errorf("start %v (%v), want %v", got, err, start)
			}
			if docs[1].Params.Get("caption") == docs[0].Params.Get("caption") {
				t.Errorf("the withdrawal has the booking's caption %q", docs[1].Params.Get("caption"))
			}

			// Withdrawn once: another cancel of the same code sends nothing.
			f.deliver(t, f.api.Text(ana, ana, "es", "bye"))
			f.settle(t)
			if n := len(f.api.Requests("sendDocument")); n != 2 {
				t.Errorf("%d documents after a second cancel, want still 2", n)
			}
		})
	}
}

// TestMovedRaisesSequence: two files for one appointment within a minute
// still have increasing SEQUENCEs, so the phone takes the later one.
func TestMovedRaisesSequence(t *testing.T) {
	f := newFixture(t)
	loc, _ := time.LoadLocation("America/Chicago")
	appt := scheduling.Appointment{Office: "city-hall", Start: time.Date(2026, 12, 1, 9, 40, 0, 0, loc), Code: "K7P2QX", Status: scheduling.StatusBooked}
	f.engine.reply = func(in conversations.Inbound) conversations.Reply {
		kind := conversations.Booked
		if in.Text == "move" {
			kind = conversations.Moved
			appt.Start = appt.Start.Add(time.Hour)
		}
		return conversations.Reply{Lang: "en", Text: "OK", Effects: []conversations.Effect{{Kind: kind, Appointment: appt}}}
	}
	f.deliver(t, f.api.Text(ana, ana, "en", "book"))
	f.deliver(t, f.api.Text(ana, ana, "en", "move"))
	f.settle(t)
	docs := f.api.Requests("sendDocument")
	if len(docs) != 2 {
		t.Fatalf("%d documents, want 2", len(docs))
	}
	a, _ := strconv.Atoi(prop(parseEvent(t, docs[0].File).ev, ics.ComponentPropertySequence))
	b, _ := strconv.Atoi(prop(parseEvent(t, docs[1].File).ev, ics.ComponentPropertySequence))
	if b <= a {
		t.Errorf("SEQUENCE %d then %d, want increasing", a, b)
	}
}

type parsed struct {
	cal *ics.Calendar
	ev  *ics.VEvent
}

func parseEvent(t *testing.T, file []byte) parsed {
	t.Helper()
	cal, err := ics.ParseCalendar(bytes.NewReader(file))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, file)
	}
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	return parsed{cal, evs[0]}
}

func prop(ev *ics.VEvent, p ics.ComponentProperty) string {
	if v := ev.GetProperty(p); v != nil {
		return v.Value
	}
	return ""
}

func calMethod(props []ics.CalendarProperty) string {
	for _, p := range props {
		if p.IANAToken == string(ics.PropertyMethod) {
			return p.Value
		}
	}
	return ""
}
