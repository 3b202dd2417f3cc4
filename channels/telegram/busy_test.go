package telegram

import (
	"time"

	"github.com/cita-city/cita/identity"
)

// busyError is what Admit returns to a newcomer beyond the wait's bound.
func busyError(retry time.Duration) error { return &identity.BusyError{RetryAfter: retry} }
