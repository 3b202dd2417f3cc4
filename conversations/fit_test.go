package conversations_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/cita-city/cita/conversations"
)

// TestBookingReplyFits books a party of two at every office in every
// language, with the SMS reminder question, and holds the longest reply of a conversation (code,
// date, office name, address, what to bring, the question) to
// conversations.MaxSegments. With -v it prints the longest per language:
//
//	go test ./conversations -run BookingReplyFits -v
func TestBookingReplyFits(t *testing.T) {
	var table strings.Builder
	table.WriteString("| locale | booking reply, longest office | segments | characters (UTF-16 units) |\n|---|---|---|---|\n")
	for _, lang := range allLangs {
		f := newFixture(t)
		worst, worstN, worstU := "", 0, 0
		for i, o := range f.program.Offices {
			in := conversations.Inbound{Identity: resident(10 + i), LangHint: hints[lang], Reminders: true}
			var r conversations.Reply
			// A party of two (the longest people line every office has
			// room for), another office, office i, its first day and time.
			for _, say := range []string{"4", "2", "3", fmt.Sprint(i + 1), "1", "1", "1"} {
				in.Text = say
				r = f.engine.Handle(in, f.now)
			}
			if len(r.Effects) == 0 || r.Effects[0].Kind != conversations.Booked || r.Lang != lang {
				t.Fatalf("%s %s: not booked in %s: %s", lang, o.ID, lang, conversations.Render(r))
			}
			s := conversations.Render(r)
			n, u := conversations.Segments(s), len(utf16.Encode([]rune(s)))
			if n > worstN || n == worstN && u > worstU {
				worst, worstN, worstU = o.ID, n, u
			}
			if n > conversations.MaxSegments {
				t.Errorf("%s %s: booking reply takes %d segments (max %d), %d UTF-16 units:\n%s", lang, o.ID, n, conversations.MaxSegments, u, s)
			}
		}
		fmt.Fprintf(&table, "| %s | %s | %d | %d |\n", lang, worst, worstN, worstU)
		for _, err := range f.errs {
			t.Errorf("%s: OnError: %v", lang, err)
		}
	}
	t.Log("\n" + table.String())
}

// TestRescheduleReplyFits moves an appointment to every office in every
// language, with the SMS reminder question, and holds the "moved" reply to
// conversations.MaxSegments.
func TestRescheduleReplyFits(t *testing.T) {
	for _, lang := range allLangs {
		f := newFixture(t)
		for i, o := range f.program.Offices {
			in := conversations.Inbound{Identity: resident(20 + i), LangHint: hints[lang], Reminders: true}
			var r conversations.Reply
			// Book the earliest for one, ask for a reminder, then move as two
			// to office i, its first day, its second time.
			for _, say := range []string{"4", "1", "1", "1", "5", "1", "2", "3", fmt.Sprint(i + 1), "1", "2", "1"} {
				in.Text = say
				r = f.engine.Handle(in, f.now)
			}
			if len(r.Effects) == 0 || r.Effects[0].Kind != conversations.Moved {
				t.Fatalf("%s %s: not moved: %s", lang, o.ID, conversations.Render(r))
			}
			s := conversations.Render(r)
			if n := conversations.Segments(s); n > conversations.MaxSegments {
				t.Errorf("%s %s: moved reply takes %d segments (max %d), %d UTF-16 units:\n%s", lang, o.ID, n, conversations.MaxSegments, len(utf16.Encode([]rune(s))), s)
			}
		}
		for _, err := range f.errs {
			t.Errorf("%s: OnError: %v", lang, err)
		}
	}
}
