package conversations

import "github.com/cita-city/cita/scheduling"

// Inbound is one message from a resident, as a channel adapter hands it over.
type Inbound struct {
	// Identity is the resident's address hashed under the newest key epoch;
	// sessions are keyed by it.
	Identity scheduling.Identity
	// Aliases are the same address hashed under older live epochs, so an
	// appointment made before a key rotation is still found.
	Aliases []scheduling.Identity
	// Text is what the resident typed (empty when they pressed a button).
	Text string
	// Choice is the ID of the Choice the resident pressed on a channel with
	// buttons; empty for typed text.
	Choice string
	// LangHint is the channel's idea of the resident's language (Telegram's
	// language_code), used only for the first reply of a session.
	LangHint string
	// Reminders is true when the channel can send a reminder the day before
	// (SMS): after booking, the engine then asks whether to send one.
	Reminders bool
	// Sequential marks a channel that hands over one message at a time,
	// each after the resident saw the reply to the one before (the
	// terminal chat): the same text again is meant, never a repeat.
	Sequential bool
}

// Reply is what the engine answers: text plus the choices the resident can
// make next. A channel renders choices as it can (numbered list on SMS,
// buttons on Telegram).
type Reply struct {
	Lang    string // language the text is in
	Text    string
	Choices []Choice
	// Effects tell the channel what changed, so it can act outside the
	// conversation (schedule or cancel a reminder, send a calendar file,
	// wipe the chat).
	Effects []Effect
	// Repeat marks the answer to a message that repeated the previous one
	// within the engine's RepeatWindow: nothing was done and nothing is to
	// be sent (the reply to the first one is on its way). Text and Choices
	// are empty; the session keeps no copy of a reply.
	Repeat bool
}

// Choice is one option offered to the resident. Choices are numbered from 1
// in order when shown as a list, except that an ID of "0" is always shown
// and typed as 0.
type Choice struct {
	ID    string
	Label string
}

// EffectKind names a change a reply reports.
type EffectKind int

const (
	// Booked: a new appointment; Effect.Appointment is it.
	Booked EffectKind = iota + 1
	// Moved: the appointment moved; Effect.Appointment is the new one,
	// Effect.Previous the old.
	Moved
	// Cancelled: the appointment was cancelled.
	Cancelled
	// Forgotten: the resident's data was deleted (appointment if any, session).
	Forgotten
	// ReminderWanted: the resident asked for a reminder of Effect.Appointment.
	ReminderWanted
	// ReminderDeclined: the resident wants no reminder of
	// Effect.Appointment; one pending from before (a moved appointment's)
	// must go.
	ReminderDeclined
)

// Effect reports one change to the channel.
type Effect struct {
	Kind        EffectKind
	Appointment scheduling.Appointment
	Previous    scheduling.Appointment
}
