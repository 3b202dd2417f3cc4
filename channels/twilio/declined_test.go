package twilio

import (
	"testing"

	"github.com/cita-city/cita/conversations"
)

// TestReminderFollowsTheAnswerAfterMove: a move carries a pending reminder
// over to the new time, and the engine asks again; "no" then leaves none,
// "yes" leaves exactly one.
func TestReminderFollowsTheAnswerAfterMove(t *testing.T) {
	for _, tc := range []struct {
		answer conversations.EffectKind
		want   int
	}{
		{conversations.ReminderDeclined, 0},
		{conversations.ReminderWanted, 1},
	} {
		f := newFixture(t)
		old, moved := appointment(t, 2, 10), appointment(t, 3, 14)
		f.say("SM60", conversations.Effect{Kind: conversations.ReminderWanted, Appointment: old})
		f.say("SM61", conversations.Effect{Kind: conversations.Moved, Appointment: moved, Previous: old})
		f.say("SM62", conversations.Effect{Kind: tc.answer, Appointment: moved})
		if n := len(f.twilio.Scheduled(resident)); n != tc.want {
			t.Errorf("answer %d: %d reminders pending, want %d", tc.answer, n, tc.want)
		}
	}
	// No after a fresh booking: nothing was pending, nothing is.
	f := newFixture(t)
	f.say("SM63", conversations.Effect{Kind: conversations.Booked, Appointment: appointment(t, 2, 10)},
		conversations.Effect{Kind: conversations.ReminderDeclined, Appointment: appointment(t, 2, 10)})
	if n := len(f.twilio.Scheduled(resident)); n != 0 {
		t.Errorf("declined after booking: %d reminders", n)
	}
}
