//go:build premerge

package telegram

import "time"

// TODO(merge): delete with busy_premerge.go.
func busyError(retry time.Duration) error { return &standInBusy{RetryAfter: retry} }
