//go:build !premerge

package main

// durableTelegramDedupe: the Telegram channel keeps its dedupe marks in
// the database.
const durableTelegramDedupe = true
