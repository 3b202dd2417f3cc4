package telegram

import (
	"errors"
	"time"

	"github.com/cita-city/cita/identity"
)

// busyWait reports whether err, from Identifier.Admit, turns the resident
// away because the line of new residents is full, and in how long to write
// again.
func busyWait(err error) (time.Duration, bool) {
	var b *identity.BusyError
	if errors.As(err, &b) {
		return b.RetryAfter, true
	}
	return 0, errors.Is(err, identity.ErrBusy)
}
