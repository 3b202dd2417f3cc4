package telegram

import (
	"bytes"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/scheduling"
)

// TestBookingSendsCalendarFile books through the channel and parses the
// document the fake received with an independent iCalendar parser.
func TestBookingSendsCalendarFile(t *testing.T) {
	loc, _ := time.LoadLocation("America/Chicago")
	start := time.Date(2026, 12, 1, 9, 40, 0, 0, loc)
	tests := []struct {
		name   string
		kind   conversations.EffectKind
		lang   string
		office string // name in the file
		party  int
		people string // in the description; "" for none
	}{
		{"booked", conversations.Booked, "en", "City Hall", 1, ""},
		{"moved, spanish", conversations.Moved, "es", "Ayuntamiento", 0, ""},
		{"a family of three", conversations.Booked, "en", "City Hall", 3, "For 3 people"},
		{"a family of two, spanish", conversations.Moved, "es", "Ayuntamiento", 2, "Para 2 personas"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			appt := scheduling.Appointment{Office: "city-hall", Start: start.UTC(), Lang: tc.lang, Code: "K7P2QX", Status: scheduling.StatusBooked, Party: tc.party}
			f.engine.reply = func(conversations.Inbound) conversations.Reply {
				return conversations.Reply{Lang: tc.lang, Text: "Booked: K7P2QX", Effects: []conversations.Effect{{Kind: tc.kind, Appointment: appt}}}
			}
			f.deliver(t, f.api.Text(ana, ana, tc.lang, "1"))
			f.settle(t)
			docs := f.api.Requests("sendDocument")
			if len(docs) != 1 {
				t.Fatalf("%d documents sent, want 1", len(docs))
			}
			file := docs[0].File
			if !strings.HasSuffix(docs[0].FileName, ".ics") {
				t.Errorf("file name %q", docs[0].FileName)
			}
			cal, err := ics.ParseCalendar(bytes.NewReader(file))
			if err != nil {
				t.Fatalf("parse: %v\n%s", err, file)
			}
			events := cal.Events()
			if len(events) != 1 {
				t.Fatalf("%d events, want 1", len(events))
			}
			ev := events[0]
			got, err := ev.GetStartAt()
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(start) || got.Location().String() != "America/Chicago" {
				t.Errorf("start %v, want %v in America/Chicago", got, start)
			}
			end, _ := ev.GetEndAt()
			if end.Sub(got) != 20*time.Minute {
				t.Errorf("lasts %v, want the 20-minute slot", end.Sub(got))
			}
			if tz := ev.GetProperty(ics.ComponentPropertyDtStart).ICalParameters["TZID"]; len(tz) != 1 || tz[0] != "America/Chicago" {
				t.Errorf("DTSTART TZID %v", tz)
			}
			if loc := ev.GetProperty(ics.ComponentPropertyLocation).Value; loc != tc.office+", 121 N LaSalle St, Room 107" {
				t.Errorf("LOCATION %q", loc)
			}
			if len(cal.Timezones()) != 1 {
				t.Errorf("%d VTIMEZONEs, want 1", len(cal.Timezones()))
			}
			alarms := ev.Alarms()
			if len(alarms) != 1 || alarms[0].GetProperty(ics.ComponentPropertyTrigger).Value != "-P1D" {
				t.Errorf("alarms %+v, want one a day before", alarms)
			}
			desc := ev.GetProperty(ics.ComponentPropertyDescription).Value
			if tc.people != "" && !strings.Contains(desc, tc.people) || tc.people == "" && strings.Contains(desc, "\\n") {
				t.Errorf("DESCRIPTION %q, want people line %q", desc, tc.people)
			}
			if !bytes.Contains(file, []byte("K7P2QX")) {
				t.Errorf("file lacks the confirmation code")
			}
			if bytes.Contains(file, []byte("731957")) {
				t.Errorf("file holds a chat or user id")
			}
			for _, l := range strings.Split(string(file), "\r\n") {
				if len(l) > 75 {
					t.Errorf("line longer than 75 octets: %q", l)
				}
			}
		})
	}
}

func TestTimezoneObservances(t *testing.T) {
	tests := []struct {
		zone  string
		when  time.Time // wall clock, in zone
		lines []string  // must appear in the VTIMEZONE
	}{
		{"America/Chicago", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), []string{
			"BEGIN:DAYLIGHT\r\nDTSTART:20260308T020000\r\nTZOFFSETFROM:-0600\r\nTZOFFSETTO:-0500",
			"BEGIN:STANDARD\r\nDTSTART:20261101T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0600",
		}},
		{"Europe/Madrid", time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC), []string{
			"BEGIN:DAYLIGHT\r\nDTSTART:20260329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200",
		}},
		// No DST: a single observance.
		{"Asia/Kolkata", time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC), []string{
			"BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0530\r\nTZOFFSETTO:+0530",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.zone, func(t *testing.T) {
			loc, err := time.LoadLocation(tc.zone)
			if err != nil {
				t.Fatal(err)
			}
			w := tc.when
			start := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), 0, 0, 0, loc)
			file := string(calendarFile(event{UID: "X@cita", Start: start, End: start.Add(time.Hour), Stamp: t0, Summary: "s", Location: "l"}))
			for _, want := range tc.lines {
				if !strings.Contains(file, want) {
					t.Errorf("VTIMEZONE lacks\n%s\nin\n%s", want, file)
				}
			}
			if !strings.Contains(file, "DTSTART;TZID="+tc.zone+":"+start.Format(icsTime)) {
				t.Errorf("no local DTSTART in %s:\n%s", tc.zone, file)
			}
		})
	}
}

func TestICSText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"121 N LaSalle St, Room 107", `121 N LaSalle St\, Room 107`},
		{"a;b\\c\nd", `a\;b\\c\nd`},
	}
	for _, tc := range tests {
		if got := escapeText(tc.in); got != tc.want {
			t.Errorf("escapeText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	var b strings.Builder
	fold(&b, "DESCRIPTION:"+strings.Repeat("ñ", 80))
	for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\r\n"), "\r\n") {
		if len(l) > 75 || !strings.HasPrefix(l, "DESCRIPTION") && !strings.HasPrefix(l, " ") {
			t.Errorf("bad folded line %q", l)
		}
	}
	durations := []struct {
		d    time.Duration
		want string
	}{{24 * time.Hour, "P1D"}, {90 * time.Minute, "PT1H30M"}, {2 * time.Hour, "PT2H"}}
	for _, tc := range durations {
		if got := icsDuration(tc.d); got != tc.want {
			t.Errorf("icsDuration(%v) = %s, want %s", tc.d, got, tc.want)
		}
	}
}
