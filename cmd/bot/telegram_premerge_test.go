//go:build premerge

package main

// TODO(merge): delete with telegram_premerge.go.
const durableTelegramDedupe = false
