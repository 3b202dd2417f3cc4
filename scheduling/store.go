package scheduling

import "time"

// Store keeps appointments. storage.Store implements it on bbolt. Every
// method is one transaction: Insert and Move check and change seat counts
// atomically, so concurrent bookers of the last seat cannot both win.
type Store interface {
	// Insert stores a (Status booked) if no identity in a.Identity's
	// appointment is active (ErrAlreadyBooked), the slot has a.People()
	// seats free of capacity (ErrSlotFull) and a.Code is unused
	// (ErrCodeTaken). Seats count people, not bookings.
	Insert(a Appointment, capacity int) error
	// Move moves the active appointment with code to office/start as a
	// party of party people (0: keep its size) if that slot has room for
	// them besides the seats it holds there already (ErrSlotFull).
	Move(code, office string, start time.Time, party, capacity int) (Appointment, error)
	// SetStatus changes the status of the appointment with code. Moving to
	// StatusCancelled releases the seat and forgets the identity hash.
	SetStatus(code string, s Status) (Appointment, error)
	// Delete removes the appointment with code and everything that points to it.
	Delete(code string) error
	// Find returns the active appointment of any of ids, or ErrNotFound.
	Find(ids ...Identity) (Appointment, error)
	// ByCode returns the appointment with code, or ErrNotFound.
	ByCode(code string) (Appointment, error)
	// Taken returns, for office, the seats taken (people, not bookings) per
	// slot start (Unix seconds) in [from, to).
	Taken(office string, from, to time.Time) (map[int64]int, error)
	// Between returns the appointments starting in [from, to), of one
	// office or of all when office is "", ordered by start then office.
	Between(office string, from, to time.Time) ([]Appointment, error)
}
