package main

import (
	"time"

	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/identity"
)

// admissionWait reads CITA_ADMISSION_WAIT: the longest estimated wait for
// a first message's identity stretch before a newcomer is told the line is
// busy (default 10m; see README, Surges).
func (m *Main) admissionWait() (time.Duration, error) {
	v := m.env("CITA_ADMISSION_WAIT", "")
	if v == "" {
		return identity.DefaultMaxWait, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, usageError("CITA_ADMISSION_WAIT=%q: want a positive duration like 10m or 90s", v)
	}
	return d, nil
}

// repeatWindow reads CITA_REPEAT_WINDOW: how soon the same text again from
// a resident is a repeat that acts once (default 5s). Residents scripted
// faster than a person reads (tests, load generators) set it to 0, which
// turns the rule off.
func (m *Main) repeatWindow() (time.Duration, error) {
	v := m.env("CITA_REPEAT_WINDOW", "")
	if v == "" {
		return conversations.RepeatWindow, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, usageError("CITA_REPEAT_WINDOW=%q: want a duration like 5s, or 0 to turn repeats off", v)
	}
	return d, nil
}
