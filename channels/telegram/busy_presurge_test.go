//go:build presurge

package telegram

import "time"

// TODO(merge): delete with busy_presurge.go.
func busyError(retry time.Duration) error { return &standInBusy{RetryAfter: retry} }
