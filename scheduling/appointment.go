package scheduling

import (
	"errors"
	"fmt"
	"time"
)

// Identity is a resident's address (E.164 number or telegram:<id>) after the
// keyed hash and argon2id stretch, under one key epoch. It is the only thing
// that links an appointment to a person, and only for someone holding the key.
type Identity struct {
	Epoch uint32
	Hash  [32]byte
}

// IsZero reports whether id is the zero Identity (no one).
func (id Identity) IsZero() bool { return id == Identity{} }

// Status is where an appointment stands.
type Status uint8

const (
	StatusBooked    Status = iota + 1 // holds a seat, resident expected
	StatusCheckedIn                   // resident came
	StatusNoShow                      // day closed without the resident
	StatusCancelled                   // seat released; record kept only until its day closes
)

var statusNames = map[Status]string{
	StatusBooked:    "booked",
	StatusCheckedIn: "checked-in",
	StatusNoShow:    "no-show",
	StatusCancelled: "cancelled",
}

func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Active reports whether an appointment in this status still holds its seat
// and counts as the identity's one appointment.
func (s Status) Active() bool { return s == StatusBooked || s == StatusCheckedIn }

// Appointment is everything cita keeps at rest about a booking (promise P1):
// no name, number, chat id, message text or timestamp of booking.
type Appointment struct {
	Identity Identity  // zeroed once cancelled: nothing needs to find it again
	Office   string    // office id from the program file
	Start    time.Time // slot start; compare with Equal, show in the program's zone
	Lang     string    // language the resident chose (so clerks can arrange interpreters)
	Code     string    // confirmation code, see NewCode
	Status   Status
	Made     Date // the day it was made, never the time
	// Party is how many people the booking covers (a small count, not
	// identifying): they take Party seats of the one slot. 0 reads as 1.
	Party int
	// Arrived is how many of the party a clerk checked in (0 until then):
	// the close-day counters count the rest as no-shows.
	Arrived int
}

// People is a's party size, at least 1.
func (a Appointment) People() int { return max(a.Party, 1) }

// Sentinel errors for outcomes callers branch on.
var (
	// ErrSlotFull: the slot's seats were all taken when the booking committed.
	ErrSlotFull = errors.New("slot full")
	// ErrAlreadyBooked: the identity already holds an active appointment.
	ErrAlreadyBooked = errors.New("already booked")
	// ErrNotFound: no (active) appointment matches.
	ErrNotFound = errors.New("appointment not found")
	// ErrCodeTaken: a confirmation code collided with a stored one; the
	// service draws a new code and retries.
	ErrCodeTaken = errors.New("confirmation code taken")
	// ErrNotBookable: the time is not a slot of that office that can be
	// booked now (closed, outside hours, past the lead time or the horizon).
	ErrNotBookable = errors.New("not a bookable slot")
	// ErrPartySize: the party size is not 1..the program's max_party.
	ErrPartySize = errors.New("party size out of range")
	// ErrTooManyChanges: the identity reached the program's daily limit of
	// booking changes.
	ErrTooManyChanges = errors.New("too many booking changes today")
)
