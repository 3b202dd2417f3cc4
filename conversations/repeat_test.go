package conversations_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cita-city/cita/conversations"
)

// The same message again within RepeatWindow of the one that acted does
// nothing and gets an empty answer marked Repeat (the first one's reply
// answers it); after the window, or a different message, acts as usual.
func TestRepeatActsOnce(t *testing.T) {
	tests := []struct {
		name   string
		after  time.Duration // since the message that acted
		text   string
		repeat bool
		want   string // prefix of the reply
	}{
		// "1" answered the party size; "1" again would book the earliest
		// time, which a double tap must not do.
		{"same text at once", 0, "1", true, ""},
		{"same text just inside the window", conversations.RepeatWindow - time.Millisecond, "1", true, ""},
		{"same text after the window", conversations.RepeatWindow, "1", false, "Booked!"},
		{"another text at once", 0, "2", false, "City Hall: which day?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.engine.RepeatWindow = conversations.RepeatWindow
			me := resident(1)
			f.say(me, "4")
			f.now = f.now.Add(time.Minute)
			first := f.say(me, "1")
			f.now = f.now.Add(tt.after)
			r := f.say(me, tt.text)
			if r.Repeat != tt.repeat || !strings.HasPrefix(r.Text, tt.want) {
				t.Errorf("reply %q (repeat %v), want %q (repeat %v)", r.Text, r.Repeat, tt.want, tt.repeat)
			}
			if tt.repeat {
				if r.Text != "" || len(r.Choices) != 0 || r.Lang != first.Lang {
					t.Errorf("repeat answered %q with %d choices in %q, want nothing in %q", r.Text, len(r.Choices), r.Lang, first.Lang)
				}
				// It did nothing: the same "1" after the window books.
				f.now = f.now.Add(conversations.RepeatWindow)
				if r := f.say(me, "1"); !strings.HasPrefix(r.Text, "Booked!") {
					t.Errorf("after the repeat, 1 answered %q, want the booking", r.Text)
				}
			}
		})
	}
}

// A repeat does not extend the window: a phone resending every few seconds
// acts again once RepeatWindow has passed since the message that acted.
func TestRepeatWindowFromTheMessageThatActed(t *testing.T) {
	f := newFixture(t)
	f.engine.RepeatWindow = conversations.RepeatWindow
	me := resident(1)
	f.say(me, "4")
	f.now = f.now.Add(time.Minute)
	f.say(me, "1")
	f.now = f.now.Add(conversations.RepeatWindow - time.Second)
	if r := f.say(me, "1"); !r.Repeat {
		t.Fatalf("within the window: %q", r.Text)
	}
	f.now = f.now.Add(2 * time.Second)
	if r := f.say(me, "1"); r.Repeat {
		t.Errorf("past the window from the first 1, still a repeat: %q", r.Text)
	}
}

// Twenty "1"s at once from one resident act once, whatever the order the
// goroutines reach the session in.
func TestConcurrentRepeatsActOnce(t *testing.T) {
	f := newFixture(t)
	f.engine.RepeatWindow = conversations.RepeatWindow
	me := resident(1)
	f.say(me, "4")
	f.now = f.now.Add(time.Minute)
	var wg sync.WaitGroup
	var mu sync.Mutex
	acted := 0
	for range 20 {
		wg.Go(func() {
			if r := f.engine.Handle(conversations.Inbound{Identity: me, Text: "1"}, f.now); !r.Repeat {
				mu.Lock()
				acted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if acted != 1 {
		t.Errorf("%d of 20 acted, want 1", acted)
	}
	if r := f.say(me, "menu"); !strings.Contains(r.Text, "What would you like to do?") {
		t.Errorf("after the repeats: %q", r.Text)
	}
}

// Without a RepeatWindow (the engine's zero value), every message acts.
func TestNoRepeatWindow(t *testing.T) {
	f := newFixture(t)
	me := resident(1)
	f.say(me, "4")
	f.say(me, "1")
	if r := f.say(me, "1"); r.Repeat || !strings.HasPrefix(r.Text, "Booked!") {
		t.Errorf("second 1: %q (repeat %v)", r.Text, r.Repeat)
	}
}

// A sequential channel (the terminal chat) hands over a line only after
// its reply was shown: the same text again is meant.
func TestSequentialNeverRepeats(t *testing.T) {
	f := newFixture(t)
	f.engine.RepeatWindow = conversations.RepeatWindow
	me := resident(1)
	say := func(text string) conversations.Reply {
		return f.engine.Handle(conversations.Inbound{Identity: me, Text: text, Sequential: true}, f.now)
	}
	say("4")
	say("1")
	if r := say("1"); r.Repeat || !strings.HasPrefix(r.Text, "Booked!") {
		t.Errorf("second 1: %q (repeat %v)", r.Text, r.Repeat)
	}
}
