package conversations_test

import (
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/scheduling"
)

func (f *fixture) say(id scheduling.Identity, text string) conversations.Reply {
	return f.engine.Handle(conversations.Inbound{Identity: id, Text: text}, f.now)
}

func TestSessionExpiry(t *testing.T) {
	f := newFixture(t)
	me := resident(1)
	if r := f.say(me, "4"); !strings.HasPrefix(r.Text, "How many people") {
		t.Fatalf("first message 4: %q", r.Text)
	}
	f.now = f.now.Add(conversations.SessionTTL - time.Minute)
	if r := f.say(me, "1"); !strings.HasPrefix(r.Text, "Earliest free time") {
		t.Fatalf("within the TTL the booking goes on: %q", r.Text)
	}
	if n := f.engine.Sweep(f.now.Add(conversations.SessionTTL)); n != 0 {
		t.Errorf("Sweep at exactly the TTL dropped %d", n)
	}
	f.now = f.now.Add(conversations.SessionTTL + time.Minute)
	if r := f.say(me, "1"); !strings.Contains(r.Text, "live in the city") {
		t.Fatalf("after the TTL, 1 is the main menu's first choice again: %q", r.Text)
	}
	f.say(resident(2), "hello")
	if n := f.engine.Sessions(); n != 2 {
		t.Errorf("Sessions() = %d, want 2", n)
	}
	if n := f.engine.Sweep(f.now.Add(conversations.SessionTTL + time.Second)); n != 2 {
		t.Errorf("Sweep dropped %d, want 2", n)
	}
	if n := f.engine.Sessions(); n != 0 {
		t.Errorf("Sessions() after Sweep = %d, want 0", n)
	}
}

// TestConcurrent runs many residents and sweeps at once (go test -race).
func TestConcurrent(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			for _, text := range []string{"4", "1", "1", "1", "1", "menu", "5"} {
				r := f.engine.Handle(conversations.Inbound{Identity: resident(i % 10), Text: text}, start)
				if r.Text == "" {
					t.Error("empty reply")
				}
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			f.engine.Sweep(start.Add(time.Hour))
		}
	})
	wg.Wait()
	booked, err := f.store.Between("", start, start.AddDate(0, 0, 60))
	if err != nil {
		t.Fatal(err)
	}
	if len(booked) > 10 {
		t.Errorf("%d appointments for 10 residents", len(booked))
	}
}

func TestFirstLanguage(t *testing.T) {
	tests := []struct {
		name   string
		in     conversations.Inbound
		stored string // language of an appointment already booked
		want   string
	}{
		{name: "default", in: conversations.Inbound{Text: "hi"}, want: "en"},
		{name: "hint", in: conversations.Inbound{Text: "4", LangHint: "es"}, want: "es"},
		{name: "hint with region", in: conversations.Inbound{Text: "x", LangHint: "es-MX"}, want: "es"},
		{name: "hint we lack", in: conversations.Inbound{Text: "x", LangHint: "de-AT"}, want: "en"},
		{name: "greeting", in: conversations.Inbound{Text: "Hola"}, want: "es"},
		{name: "greeting with accents and punctuation", in: conversations.Inbound{Text: "¡Buenos días!"}, want: "es"},
		{name: "greeting then more", in: conversations.Inbound{Text: "buenas, quiero una cita"}, want: "es"},
		{name: "menu words", in: conversations.Inbound{Text: "pedir cita"}, want: "es"},
		{name: "language name", in: conversations.Inbound{Text: "espanol"}, want: "es"},
		{name: "language name beats hint", in: conversations.Inbound{Text: "English", LangHint: "es"}, want: "en"},
		{name: "stored appointment", in: conversations.Inbound{Text: "5"}, stored: "es", want: "es"},
		{name: "hint beats stored", in: conversations.Inbound{Text: "5", LangHint: "en"}, stored: "es", want: "en"},
		{name: "script we lack", in: conversations.Inbound{Text: "שלום"}, want: "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.in.Identity = resident(1)
			if tt.stored != "" {
				sl, _, _ := f.svc.Earliest("city-hall", 1, f.now)
				if _, err := f.svc.Book(tt.in.Identity, tt.stored, "city-hall", sl.Start, 1, f.now); err != nil {
					t.Fatal(err)
				}
			}
			if r := f.engine.Handle(tt.in, f.now); r.Lang != tt.want {
				t.Errorf("Lang = %q, want %q (reply %q)", r.Lang, tt.want, r.Text)
			}
		})
	}
}

// cyrillic adds a Russian stand-in to the real messages, to test detection
// by script: the demo program only has Latin-script languages.
type cyrillic struct{ conversations.Messages }

func (c cyrillic) Languages() []string { return append(c.Messages.Languages(), "ru") }

func (c cyrillic) Text(lang, id string, data map[string]any) (string, error) {
	if lang == "ru" {
		switch id {
		case "language.script":
			return "Cyrillic", nil
		case "language.name":
			return "Русский", nil
		}
		lang = "en"
	}
	return c.Messages.Text(lang, id, data)
}

func TestDetectScript(t *testing.T) {
	f := newFixture(t)
	text := regexp.MustCompile(`(?m)^languages = .*$`).ReplaceAll(scheduling.DemoProgram, []byte(`languages = ["en", "es", "ru"]`))
	p, err := scheduling.Load("ru.toml", text)
	if err != nil {
		t.Fatal(err)
	}
	e := conversations.New(scheduling.NewService(p, newMemStore()), cyrillic{f.catalog})
	if r := e.Handle(conversations.Inbound{Identity: resident(1), Text: "Здравствуйте"}, f.now); r.Lang != "ru" {
		t.Errorf("Cyrillic text: Lang = %q, want ru", r.Lang)
	}
	if r := e.Handle(conversations.Inbound{Identity: resident(2), Text: "hello"}, f.now); r.Lang != "en" {
		t.Errorf("Latin text: Lang = %q, want en", r.Lang)
	}
}

// broken fails every lookup with an error that must not reach residents.
type broken struct{ *scheduling.Service }

var errDisk = errors.New("disk on fire at /var/lib/cita")

func (broken) Find([]scheduling.Identity) (scheduling.Appointment, error) {
	return scheduling.Appointment{}, errDisk
}

func TestErrorsStayInside(t *testing.T) {
	f := newFixture(t)
	e := conversations.New(broken{f.svc}, f.catalog)
	var got []error
	e.OnError = func(err error) { got = append(got, err) }
	for _, lang := range []string{"en", "es"} {
		got = nil
		r := e.Handle(conversations.Inbound{Identity: resident(int(lang[1])), Text: "5", LangHint: lang}, f.now)
		want, _ := f.catalog.Text(lang, "error", nil)
		if !strings.HasPrefix(r.Text, want) || strings.Contains(r.Text, "disk") {
			t.Errorf("%s: reply %q, want the localized error", lang, r.Text)
		}
		if len(r.Choices) == 0 {
			t.Errorf("%s: error reply is a dead end", lang)
		}
		if len(got) != 1 || !errors.Is(got[0], errDisk) {
			t.Errorf("%s: OnError got %v", lang, got)
		}
	}
}

func TestChoicePressed(t *testing.T) {
	f := newFixture(t)
	in := conversations.Inbound{Identity: resident(1), Choice: "book"}
	if r := f.engine.Handle(in, f.now); !strings.HasPrefix(r.Text, "How many people") {
		t.Fatalf("pressed book: %q", r.Text)
	}
	in.Choice = "party:2"
	if r := f.engine.Handle(in, f.now); !strings.HasPrefix(r.Text, "Earliest free time") || !strings.Contains(r.Text, "For 2 people") {
		t.Fatalf("pressed 2 people: %q", r.Text)
	}
	in.Choice = "other-office"
	if r := f.engine.Handle(in, f.now); !strings.HasPrefix(r.Text, "Which office?") {
		t.Fatalf("pressed another office: %q", r.Text)
	}
	in.Choice = "office:city-hall"
	r := f.engine.Handle(in, f.now)
	if !strings.Contains(r.Text, "which day?") {
		t.Fatalf("pressed office: %q", r.Text)
	}
	in.Choice = "slot:12345" // a button from some old message
	if r := f.engine.Handle(in, f.now); !strings.HasPrefix(r.Text, "Sorry, I didn't get that") {
		t.Errorf("stale button: %q", r.Text)
	}
	in.Choice = r.Choices[0].ID
	if r := f.engine.Handle(in, f.now); !strings.Contains(r.Text, "free times") {
		t.Errorf("pressed day: %q", r.Text)
	}
}

func FuzzHandle(f *testing.F) {
	for _, s := range []string{"4", "1", "0", "menu", "hola", "#2)", "١", "１", "9:00", "", " ", "yes", "sí", "mneu", "\x00", "🙂"} {
		f.Add(s, s)
	}
	fx := newFixture(f)
	f.Fuzz(func(t *testing.T, first, second string) {
		for i, text := range []string{first, second, "1", text2(first)} {
			r := fx.engine.Handle(conversations.Inbound{Identity: resident(i % 3), Text: text, Reminders: true}, start)
			if strings.TrimSpace(r.Text) == "" {
				t.Fatalf("empty reply to %q", text)
			}
			if r.Lang == "" {
				t.Fatalf("reply to %q has no language", text)
			}
		}
	})
}

func text2(s string) string { return strings.ToUpper(s) + "." }
