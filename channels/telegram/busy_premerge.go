//go:build premerge

package telegram

import (
	"errors"
	"time"
)

// TODO(merge): delete this file once identity.BusyError is on main
// (helper surge); it lets the branch build and test before that with
// -tags premerge.

// standInBusy stands in for identity.BusyError.
type standInBusy struct{ RetryAfter time.Duration }

func (e *standInBusy) Error() string { return "busy" }

func busyWait(err error) (time.Duration, bool) {
	var b *standInBusy
	if errors.As(err, &b) {
		return b.RetryAfter, true
	}
	return 0, false
}
