package conversations_test

import (
	"testing"
	"time"

	"github.com/cita-city/cita/conversations"
)

// TestLanguage asks the engine, as a channel answering HELP would, which
// language a resident speaks: the session's while it lives, else the
// stored appointment's, else the one detected from the text. Asking never
// makes or refreshes a session.
func TestLanguage(t *testing.T) {
	f := newFixture(t)
	spanish, booked, stranger := resident(1), resident(2), resident(3)

	help := func(id int) conversations.Inbound {
		return conversations.Inbound{Identity: resident(id), Text: "HELP"}
	}
	// Spanish session; "HELP" alone names no language.
	f.engine.Handle(conversations.Inbound{Identity: spanish, Text: "hola"}, f.now)
	if got := f.engine.Language(help(1), f.now.Add(time.Minute)); got != "es" {
		t.Errorf("live Spanish session: %q, want es", got)
	}
	// A stored appointment in Tagalog, no session.
	sl, _, _ := f.svc.Earliest("city-hall", 1, f.now)
	if _, err := f.svc.Book(booked, "tl", "city-hall", sl.Start, 1, f.now); err != nil {
		t.Fatal(err)
	}
	if got := f.engine.Language(help(2), f.now); got != "tl" {
		t.Errorf("stored appointment: %q, want tl", got)
	}
	// Neither: what the text says, else the program's first.
	if got := f.engine.Language(conversations.Inbound{Identity: stranger, Text: "hola"}, f.now); got != "es" {
		t.Errorf("detected: %q, want es", got)
	}
	if got := f.engine.Language(help(3), f.now); got != "en" {
		t.Errorf("nothing known: %q, want en", got)
	}
	if n := f.engine.Sessions(); n != 1 {
		t.Errorf("Sessions() = %d, want only the Spanish one", n)
	}
	// An expired session no longer speaks for the resident.
	if got := f.engine.Language(help(1), f.now.Add(conversations.SessionTTL+time.Minute)); got != "en" {
		t.Errorf("expired session: %q, want en", got)
	}
}
