package conversations_test

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/locales"
	"github.com/cita-city/cita/scheduling"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/")

var (
	_ conversations.Messages = (*locales.Catalog)(nil)
	_ conversations.Bookings = (*scheduling.Service)(nil)
)

// start is the transcripts' clock: Monday 2026-11-30, 08:00 in Chicago.
var start = time.Date(2026, 11, 30, 8, 0, 0, 0, chicago())

func chicago() *time.Location {
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		panic(err)
	}
	return loc
}

// resident is a test identity (the hash of a fictional 555-01xx number).
func resident(n int) scheduling.Identity {
	return scheduling.Identity{Epoch: 1, Hash: sha256.Sum256(fmt.Appendf(nil, "+1312555%04d", 100+n))}
}

// fixture is the real booking service on the demo program over an
// in-memory store, with codes drawn from a seeded generator.
type fixture struct {
	t       testing.TB
	program *scheduling.Program
	store   *memStore
	svc     *scheduling.Service
	catalog *locales.Catalog
	engine  *conversations.Engine
	now     time.Time
	errs    []error
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureOf(t, scheduling.Demo())
}

// demoWithMaxParty is the demo program with max_party set to n.
func demoWithMaxParty(t testing.TB, n int) *scheduling.Program {
	t.Helper()
	src := strings.Replace(string(scheduling.DemoProgram), "max_party = 5", fmt.Sprintf("max_party = %d", n), 1)
	p, err := scheduling.Load(scheduling.DemoName, []byte(src))
	if err != nil || p.MaxParty != n {
		t.Fatalf("demo with max_party %d: %v (max_party %d)", n, err, p.MaxParty)
	}
	return p
}

func newFixtureOf(t testing.TB, p *scheduling.Program) *fixture {
	t.Helper()
	catalog, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, program: p, store: newMemStore(), catalog: catalog, now: start}
	f.svc = scheduling.NewService(f.program, f.store)
	f.svc.SetRand(rand.NewChaCha8([32]byte{'c', 'i', 't', 'a'}))
	f.engine = conversations.New(f.svc, catalog)
	f.engine.OnError = func(err error) { f.errs = append(f.errs, err) }
	return f
}

// fill takes every free seat of office's earliest slot for other residents.
func (f *fixture) fill(office string) time.Time {
	f.t.Helper()
	sl, ok, err := f.svc.Earliest(office, 1, f.now)
	if err != nil || !ok {
		f.t.Fatalf("Earliest(%s) = %v, %v", office, ok, err)
	}
	for i := range sl.Free {
		if _, err := f.svc.Book(resident(50+i), "en", office, sl.Start, 1, f.now); err != nil {
			f.t.Fatalf("fill %s: %v", sl.Start, err)
		}
	}
	return sl.Start
}

// crowd books one seat of every slot left today at office for other
// residents and returns how many.
func (f *fixture) crowd(office string) int {
	f.t.Helper()
	slots, err := f.svc.FreeSlots(office, scheduling.DateOf(f.now), 1, f.now)
	if err != nil {
		f.t.Fatal(err)
	}
	for i, sl := range slots {
		if _, err := f.svc.Book(resident(200+i), "en", office, sl.Start, 1, f.now); err != nil {
			f.t.Fatalf("crowd %s: %v", sl.Start, err)
		}
	}
	return len(slots)
}

// step is one thing that happens in a transcript.
type step struct {
	say   string // the resident types this
	fill  string // other residents take the last seats of this office's earliest slot
	crowd string // other residents take one seat of every slot left today at this office
}

func say(texts ...string) []step {
	var out []step
	for _, t := range texts {
		out = append(out, step{say: t})
	}
	return out
}

// scenario is a conversation replayed in each of its languages.
type scenario struct {
	name      string
	about     string
	reminders bool
	langs     []string // nil: English and Spanish
	maxParty  int      // 0: the demo program's (5)
	steps     func(lang string) []step
}

// allLangs are the languages of the demo program, in its order: the full
// booking is replayed in every one.
var allLangs = []string{"en", "es", "pl", "zh", "ar", "fr", "tl", "uk", "ko", "ru", "ur", "hi", "gu", "vi"}

// hints are the Telegram language_code values transcripts start with, as
// Telegram sends them (Filipino phones say "fil" for Tagalog).
var hints = map[string]string{
	"es": "es-MX", "pl": "pl", "zh": "zh-hans", "ar": "ar", "fr": "fr-FR", "tl": "fil", "uk": "uk",
	"ko": "ko", "ru": "ru", "ur": "ur", "hi": "hi", "gu": "gu", "vi": "vi",
}

// tr picks the text of the transcript's language.
func tr(lang, en, es string) string {
	if lang == "es" {
		return es
	}
	return en
}

// book books the earliest slot for one person: "4", a party of 1, "1".
func book() []step { return say("4", "1", "1") }

var scenarios = []scenario{
	{
		name: "booking", reminders: true, langs: allLangs,
		about: "4 then 1 at every step books the earliest slot at the first office; SMS offers a reminder",
		steps: func(lang string) []step { return append(book(), say("1", "5")...) },
	},
	{
		name:  "booked-then-5",
		about: "the booking reply offers only the menu, yet main menu numbers work: 5 shows the appointment",
		steps: func(lang string) []step { return append(book(), say("5")...) },
	},
	{
		name:  "reschedule",
		about: "book, then move the appointment to another office; the code stays",
		steps: func(lang string) []step {
			return append(book(), say("1", "5", "1", "1", "3", "2", "1", "1", "1", "1", "5")...)
		},
	},
	{
		name: "reschedule-reminder", reminders: true,
		about: "book with a reminder, move it to a later time, then say no to a reminder: the channel hears the no",
		steps: func(lang string) []step {
			return append(book(), say("1", "5", "1", "1", "2", "1", "2", "1", "2", "5")...)
		},
	},
	{
		name:  "cancel",
		about: "book, change one's mind about cancelling, then cancel",
		steps: func(lang string) []step { return append(book(), say("1", "5", "2", "2", "5", "2", "1", "5")...) },
	},
	{
		name:  "eligibility-yes",
		about: "yes to every eligibility question, then book from there",
		steps: func(lang string) []step { return say("1", "1", "1", "1", "1", "1") },
	},
	{
		name:  "eligibility-no",
		about: "no to the age question explains the kids' ID; menu goes back",
		steps: func(lang string) []step { return say("1", "1", "2", tr(lang, "menu", "menú")) },
	},
	{
		name:  "forget-appointment",
		about: "delete my data with an appointment: first say no, then yes; the next message starts over",
		steps: func(lang string) []step {
			return append(book(), say("1", "0", "2", "0", "1", tr(lang, "hi", "hola"), "5")...)
		},
	},
	{
		name:  "forget-nothing",
		about: "delete my data without an appointment",
		steps: func(lang string) []step { return say(tr(lang, "hello", "hola"), "0", "1") },
	},
	{
		name:  "garbage",
		about: "nonsense, out-of-range numbers, stray punctuation, other digits, typos and accents",
		steps: func(lang string) []step {
			return say(
				"asdf", "9", "42", "1 2", "#2)", tr(lang, "MENU", "menú"),
				"٣", "7", "２", "menu", " 1. ",
				tr(lang, "yess", "Sí"), tr(lang, "nope", "no"),
				tr(lang, "mneu", "MENU"),
				tr(lang, "what to brnig", "que traer"),
				tr(lang, "offices", "OFICINAS"),
				tr(lang, "city hall", "centro comunitario del sur"),
				tr(lang, "other offices", "otras oficinas"),
				tr(lang, "menu", "inicio"),
				tr(lang, "languge", "idoima"),
				tr(lang, "español", "english"),
				tr(lang, "idioma", "language"),
				tr(lang, "English", "Espanol"),
			)
		},
	},
	{
		name:  "slot-taken",
		about: "the earliest slot fills between offering and booking it: the nearest free ones are offered",
		steps: func(lang string) []step {
			s := say("4", "1")
			s = append(s, step{fill: "city-hall"})
			return append(s, say("1", "1", "1")...)
		},
	},
	{
		name:  "unknown-numbers",
		about: "numbers that are not on the list at each booking step are re-prompted, never a dead end",
		steps: func(lang string) []step {
			return say("4", "9", "1", "5", "2", "12", "1", "15", tr(lang, "more", "más"), "99", "1", "3", "2")
		},
	},
	{
		name:  "menu-tour",
		about: "what to bring, offices and hours, booking from an office for two, more days",
		steps: func(lang string) []step {
			return say("2", "2", "3", "2", "1", "2", "8", "8", "2", "5", "6", "1")
		},
	},
	{
		name:  "too-many-changes",
		about: "the program allows 3 booking changes a day; the 4th is refused politely",
		steps: func(lang string) []step {
			s := book()
			for day := range 3 {
				s = append(s, say("1", "5", "1", "1", "2", fmt.Sprint(day+2), "1", "1")...)
			}
			return s
		},
	},
	{
		name:  "family-of-three",
		about: "a parent books for three people in four messages: hi, 4, 3, 1; my appointment says how many",
		steps: func(lang string) []step { return say(tr(lang, "hi", "hola"), "4", "3", "1", "1", "5") },
	},
	{
		name:  "party-too-big-today",
		about: "today every slot at the one office with five desks has a seat taken: a party of five is offered tomorrow",
		steps: func(lang string) []step {
			return append([]step{{crowd: "northwest"}}, say("4", "5", "1", "5")...)
		},
	},
	{
		name:  "move-party",
		about: "a family of three books, then moves as two people to the earliest time; the code stays",
		steps: func(lang string) []step { return say("4", "3", "1", "1", "5", "1", "2", "1", "1", "5") },
	},
	{
		name: "party-of-one", maxParty: 1, langs: []string{"en"},
		about: "a program whose max_party is 1 asks no party size: hi, 4, 1 books",
		steps: func(lang string) []step { return say("hi", "4", "1", "5") },
	},
	{
		name:  "bad-party",
		about: "party sizes 0, 99, a word and an emoji are asked again; nothing is booked",
		steps: func(lang string) []step {
			return say("4", "0", "99", tr(lang, "three", "tres"), "🙂", tr(lang, "menu", "menú"), "5")
		},
	},
}

// langHint makes transcripts other than English start like a Telegram user
// whose app is in that language; greetings and language names detect
// Spanish without a hint.
func langHint(lang string, first string) string {
	if lang == "es" && first == "hola" {
		return ""
	}
	return hints[lang]
}

func TestTranscripts(t *testing.T) {
	for _, sc := range scenarios {
		langs := sc.langs
		if langs == nil {
			langs = []string{"en", "es"}
		}
		for _, lang := range langs {
			t.Run(sc.name+"."+lang, func(t *testing.T) {
				f := newFixture(t)
				if sc.maxParty != 0 {
					f = newFixtureOf(t, demoWithMaxParty(t, sc.maxParty))
				}
				steps := sc.steps(lang)
				hint := langHint(lang, steps[0].say)
				var b strings.Builder
				fmt.Fprintf(&b, "# %s (%s): %s.\n", sc.name, lang, sc.about)
				fmt.Fprintf(&b, "# Now: %s. Reminders offered: %v.\n", f.now.Format("Mon 2006-01-02 15:04 MST"), sc.reminders)
				for i, st := range steps {
					if st.fill != "" {
						at := f.fill(st.fill)
						fmt.Fprintf(&b, "\n* other residents take the last seats of %s %s\n", st.fill, at.Format("2006-01-02 15:04"))
						continue
					}
					if st.crowd != "" {
						n := f.crowd(st.crowd)
						fmt.Fprintf(&b, "\n* other residents take one seat of each of the %d slots left today at %s\n", n, st.crowd)
						continue
					}
					r := f.engine.Handle(conversations.Inbound{
						Identity:  resident(1),
						Aliases:   []scheduling.Identity{resident(2)},
						Text:      st.say,
						LangHint:  hint,
						Reminders: sc.reminders,
					}, f.now)
					checkReply(t, r, lang, st.say, i == 0)
					fmt.Fprintf(&b, "\n> %s\n%s\n", st.say, conversations.Render(r))
					for _, e := range r.Effects {
						b.WriteString(effectLine(e) + "\n")
					}
				}
				for _, err := range f.errs {
					t.Errorf("OnError: %v", err)
				}
				golden(t, filepath.Join("testdata", sc.name+"."+lang+".txt"), b.String())
			})
		}
	}
}

// checkReply holds every reply to the promises residents rely on.
func checkReply(t *testing.T, r conversations.Reply, lang, said string, first bool) {
	t.Helper()
	if strings.TrimSpace(r.Text) == "" {
		t.Errorf("> %s: empty reply", said)
	}
	if first && r.Lang != lang || !slices.Contains(allLangs, r.Lang) {
		t.Errorf("> %s: reply in %q, want %q", said, r.Lang, lang)
	}
	if n := conversations.Segments(conversations.Render(r)); n > conversations.MaxSegments {
		t.Errorf("> %s: reply takes %d SMS segments (max 3):\n%s", said, n, conversations.Render(r))
	}
	for _, bad := range []string{"<no value>", "%!", "error", "{{"} {
		if strings.Contains(r.Text, bad) {
			t.Errorf("> %s: reply contains %q:\n%s", said, bad, r.Text)
		}
	}
}

func effectLine(e conversations.Effect) string {
	a := e.Appointment
	kind := map[conversations.EffectKind]string{
		conversations.Booked: "Booked", conversations.Moved: "Moved", conversations.Cancelled: "Cancelled",
		conversations.Forgotten: "Forgotten", conversations.ReminderWanted: "ReminderWanted",
		conversations.ReminderDeclined: "ReminderDeclined",
	}[e.Kind]
	if a.Code == "" {
		return "= effect " + kind + ": no appointment"
	}
	s := fmt.Sprintf("= effect %s: %s %s %s lang=%s party=%d", kind, a.Code, a.Office, a.Start.Format("2006-01-02 15:04"), a.Lang, a.People())
	if e.Kind == conversations.Moved {
		s += fmt.Sprintf(" (was %s %s party=%d)", e.Previous.Office, e.Previous.Start.Format("2006-01-02 15:04"), e.Previous.People())
	}
	return s
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./conversations/ -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}
