package twilio

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/twilio/twiliotest"
	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/locales"
	"github.com/cita-city/cita/scheduling"
	"github.com/cita-city/cita/storage"
)

// queueHasher stands in for identity.Hasher with its admission queue: a
// resident is cached only once admitted; Admit waits at gate (if set) and
// says who came; busy, if set, turns newcomers away.
type queueHasher struct {
	hasher
	busy    time.Duration
	gate    chan struct{}
	entered chan string

	mu    sync.Mutex
	known map[string]bool
}

func newQueueHasher() *queueHasher {
	return &queueHasher{entered: make(chan string, 100), known: map[string]bool{}}
}

func (q *queueHasher) Cached(address string, now time.Time) ([]scheduling.Identity, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.known[address] {
		return nil, false
	}
	ids, _ := q.Identities(address, now)
	return ids, true
}

// AdmitAsync queues address: done is called once the gate opens (at once
// without a gate); leave before that takes it out.
func (q *queueHasher) AdmitAsync(address string, now time.Time, done func()) (func() bool, error) {
	if q.busy > 0 {
		return nil, &identity.BusyError{RetryAfter: q.busy}
	}
	q.entered <- address
	admit := func() {
		q.mu.Lock()
		q.known[address] = true
		q.mu.Unlock()
		done()
	}
	if q.gate == nil {
		admit()
		return func() bool { return false }, nil
	}
	var mu sync.Mutex
	state := "waiting" // then "admitted" or "left"
	left := make(chan struct{})
	go func() {
		select {
		case <-q.gate:
		case <-left:
			return
		}
		mu.Lock()
		if state != "waiting" {
			mu.Unlock()
			return
		}
		state = "admitted"
		mu.Unlock()
		admit()
	}()
	return func() bool {
		mu.Lock()
		defer mu.Unlock()
		if state == "waiting" {
			state = "left"
			close(left)
		}
		return state == "left"
	}, nil
}

func waitFor[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// A newcomer is acknowledged at once with empty TwiML and answered through
// the REST API (Messaging Service); once known, answered in TwiML.
func TestNewcomerAnsweredThroughREST(t *testing.T) {
	q := newQueueHasher()
	f := newFixtureWith(t, q, nil)
	status, body := f.post(inbound("SM80", "hola"), formType, "", nil)
	if status != 200 || strings.Contains(body, "<Message") || !strings.Contains(body, "<Response") {
		t.Fatalf("first message: %d %q, want empty TwiML", status, body)
	}
	sent := f.twilio.WaitSent(resident, 1, 10*time.Second)
	if len(sent) != 1 || sent[0].Body != "Menu\n\n1 Book" || sent[0].Service != twiliotest.ServiceSID {
		t.Fatalf("sent %+v, want the engine's reply through the Messaging Service", sent)
	}
	f.ch.Drain()
	status, body = f.post(inbound("SM81", "4"), formType, "", nil)
	if status != 200 || !strings.Contains(body, "<Message>Menu") {
		t.Errorf("returning resident: %d %q, want the reply in TwiML", status, body)
	}
	f.ch.Drain()
	if n := len(f.twilio.SentTo(resident)); n != 1 {
		t.Errorf("%d REST messages, want still 1", n)
	}
	if n := f.eng.calls(); n != 2 {
		t.Errorf("engine got %d messages, want 2", n)
	}
}

// A newcomer beyond the admission bound is told at once when to write
// again, in TwiML, and nothing else is done for the message.
func TestBusyNewcomer(t *testing.T) {
	tests := []struct {
		name  string
		after time.Duration
		want  string
	}{
		{"minutes rounded up", 7*time.Minute + 30*time.Second, "Please write again in 8 minutes."},
		{"at least one minute", 5 * time.Second, "Please write again in 1 minute."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newQueueHasher()
			q.busy = tt.after
			f := newFixtureWith(t, q, nil)
			status, body := f.post(inbound("SM82", "hello"), formType, "", nil)
			if status != 200 || !strings.Contains(body, "<Message>Many people are writing to us right now. "+tt.want+"</Message>") {
				t.Errorf("busy: %d %q, want %q", status, body, tt.want)
			}
			f.ch.Drain()
			if n := f.eng.calls(); n != 0 {
				t.Errorf("engine got %d messages, want 0", n)
			}
			if len(q.entered) != 0 {
				t.Error("a busy newcomer was queued")
			}
			if calls := f.calls(); len(calls) != 0 {
				t.Errorf("Twilio calls %q, want none", calls)
			}
		})
	}
}

// The busy text exists in every language, in every plural form asked for.
func TestBusyTextEveryLanguage(t *testing.T) {
	catalog, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range catalog.Languages() {
		for _, n := range []int{0, 1, 2, 3, 4, 5, 11, 12, 21, 22, 25, 100, 101, 102, 111, 1000} {
			s, err := catalog.Count(lang, "busy", n, nil)
			if err != nil || s == "" {
				t.Errorf("%s busy(%d): %q, %v", lang, n, s, err)
			}
			if n >= 3 && !strings.Contains(s, fmt.Sprint(n)) {
				t.Errorf("%s busy(%d) = %q lacks the number", lang, n, s)
			}
		}
	}
}

// One resident's messages are handled one at a time in the order they
// arrived, while the first waits for its stretch and after, and their
// replies go out in that order.
func TestOneResidentInArrivalOrder(t *testing.T) {
	q := newQueueHasher()
	q.gate = make(chan struct{})
	f := newFixtureWith(t, q, nil)
	var mu sync.Mutex
	inside := 0
	f.eng.reply = func(in conversations.Inbound) conversations.Reply {
		mu.Lock()
		inside++
		if inside > 1 {
			t.Error("two messages of one resident handled at once")
		}
		mu.Unlock()
		defer func() { mu.Lock(); inside--; mu.Unlock() }()
		return conversations.Reply{Lang: "en", Text: "got " + in.Text}
	}
	var texts []string
	for i := range 20 {
		text := fmt.Sprintf("m%02d", i)
		texts = append(texts, text)
		_, body := f.post(inbound(fmt.Sprintf("SM9%02d", i), text), formType, "", nil)
		if strings.Contains(body, "<Message") {
			t.Errorf("message %d answered in TwiML while the first waits: %q", i, body)
		}
		if i == 0 {
			waitFor(t, q.entered, "the first message's Admit")
		}
	}
	close(q.gate)
	f.ch.Drain()
	var got []string
	for _, in := range f.eng.got {
		got = append(got, in.Text)
	}
	if !slices.Equal(got, texts) {
		t.Errorf("engine got %q, want %q", got, texts)
	}
	var sent []string
	for _, m := range f.twilio.SentTo(resident) {
		sent = append(sent, strings.TrimPrefix(m.Body, "got "))
	}
	if !slices.Equal(sent, texts) {
		t.Errorf("replies sent %q, want %q", sent, texts)
	}
	if n := len(q.entered); n != 0 {
		t.Errorf("%d more Admits, want only the first's", n)
	}
}

// A message arriving while the same resident's previous one is being
// handled in the webhook waits behind it instead of racing it.
func TestSecondMessageWaitsForFirst(t *testing.T) {
	f := newFixture(t)
	entered, release := make(chan struct{}), make(chan struct{})
	f.eng.reply = func(in conversations.Inbound) conversations.Reply {
		if in.Text == "first" {
			close(entered)
			<-release
		}
		return conversations.Reply{Lang: "en", Text: "got " + in.Text}
	}
	first := make(chan string, 1)
	go func() {
		_, body := f.post(inbound("SM83", "first"), formType, "", nil)
		first <- body
	}()
	waitFor(t, entered, "the first message in the engine")
	// Returns while the first is still in the engine: queued, not waiting.
	if _, body := f.post(inbound("SM84", "second"), formType, "", nil); strings.Contains(body, "<Message") {
		t.Errorf("second: %q, want empty TwiML", body)
	}
	close(release)
	if body := waitFor(t, first, "the first reply"); !strings.Contains(body, "<Message>got first</Message>") {
		t.Errorf("first: %q", body)
	}
	sent := f.twilio.WaitSent(resident, 1, 10*time.Second)
	if len(sent) != 1 || sent[0].Body != "got second" {
		t.Errorf("sent %+v, want the second reply", sent)
	}
	f.ch.Drain()
	if got := []string{f.eng.got[0].Text, f.eng.got[1].Text}; !slices.Equal(got, []string{"first", "second"}) {
		t.Errorf("engine order %q", got)
	}
}

// At shutdown, a message still waiting for its stretch leaves the queue
// unanswered, and the count is logged.
func TestCloseDropsWaiting(t *testing.T) {
	q := newQueueHasher()
	q.gate = make(chan struct{}) // never opens
	f := newFixtureWith(t, q, nil)
	f.post(inbound("SM85", "hi"), formType, "", nil)
	waitFor(t, q.entered, "Admit")
	f.ch.Close()
	if n := f.eng.calls(); n != 0 {
		t.Errorf("engine got %d messages, want 0", n)
	}
	if !strings.Contains(f.logs.String(), "messages left unanswered at shutdown") || !strings.Contains(f.logs.String(), "count=1") {
		t.Errorf("log lacks the count of dropped messages:\n%s", f.logs.String())
	}
}

// Twenty "1"s sent at once by a resident looking at their appointment act
// once: the appointment is not walked through the menus to another time
// (issue 13.9). Real engine, booking service and bbolt store.
func TestRepeatedDigitsActOnce(t *testing.T) {
	catalog, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	program := scheduling.Demo()
	store, err := storage.Open(filepath.Join(t.TempDir(), "cita.db"), storage.Options{Location: program.Location})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	bookings := scheduling.NewService(program, store)
	eng := conversations.New(bookings, catalog)
	eng.RepeatWindow = conversations.RepeatWindow
	f := newFixtureWith(t, hasher{}, eng)

	sid := 0
	say := func(text string) string {
		t.Helper()
		sid++
		f.now = f.now.Add(time.Minute)
		_, body := f.post(inbound(fmt.Sprintf("SM7%03d", sid), text), formType, "", nil)
		return body
	}
	// Book Tuesday's first time at City Hall for one person (another
	// office, City Hall, Tuesday, the first time, yes), no reminder; show it.
	for _, text := range []string{"4", "1", "3", "1", "2", "1", "1", "2"} {
		say(text)
	}
	if body := say("5"); !strings.Contains(body, "Change date or time") {
		t.Fatalf("appointment not shown: %q", body)
	}
	ids, _ := hasher{}.Identities(resident, f.now)
	before, err := bookings.Find(ids)
	if err != nil {
		t.Fatal(err)
	}

	f.now = f.now.Add(time.Minute)
	var wg sync.WaitGroup
	replies := make([]string, 20)
	for i := range replies {
		wg.Go(func() {
			_, replies[i] = f.post(inbound(fmt.Sprintf("SM8%03d", i), "1"), formType, "", nil)
		})
	}
	wg.Wait()
	f.ch.Drain()
	for _, m := range f.twilio.SentTo(resident) {
		replies = append(replies, m.Body)
	}
	after, err := bookings.Find(ids)
	if err != nil {
		t.Fatal(err)
	}
	if !after.Start.Equal(before.Start) || after.Office != before.Office {
		t.Errorf("appointment moved from %v to %v", before.Start, after.Start)
	}
	answered := 0
	for _, r := range replies {
		if strings.Contains(r, "Moved") || strings.Contains(r, "Earliest free time") {
			t.Errorf("a repeated 1 walked on: %q", r)
		}
		if strings.Contains(r, "How many people") {
			answered++
		}
	}
	if answered != 1 {
		t.Errorf("%d replies ask how many people, want exactly 1 (the 1 that acted): %q", answered, replies)
	}
}

// A message whose sender's stretch has not started after MaxWait is
// dropped unstretched and its sender told, through the REST API, that the
// line is busy. The resident's next message waits afresh.
func TestWaitedTooLongDropped(t *testing.T) {
	q := newQueueHasher()
	q.gate = make(chan struct{})
	f := newFixtureWith(t, q, nil)
	f.ch.c.MaxWait = 20 * time.Millisecond
	f.post(inbound("SM86", "hi"), formType, "", nil)
	waitFor(t, q.entered, "Admit")
	f.ch.Drain() // the line ends when its message is dropped
	if n := f.eng.calls(); n != 0 {
		t.Errorf("engine got %d messages, want 0", n)
	}
	if !strings.Contains(f.logs.String(), "its sender waited too long") {
		t.Errorf("log lacks the drop:\n%s", f.logs.String())
	}
	if sent := f.twilio.WaitSent(resident, 1, 10*time.Second); len(sent) != 1 || !strings.Contains(sent[0].Body, "Many people are writing") {
		t.Fatalf("sent %+v, want the busy text", sent)
	}
	f.ch.c.MaxWait = time.Minute
	f.post(inbound("SM87", "again"), formType, "", nil)
	waitFor(t, q.entered, "the second Admit")
	close(q.gate)
	if sent := f.twilio.WaitSent(resident, 2, 10*time.Second); len(sent) != 2 {
		t.Errorf("sent %d messages, want the busy text and 1 reply", len(sent))
	}
	f.ch.Drain()
	if got := f.eng.got; len(got) != 1 || got[0].Text != "again" {
		t.Errorf("engine got %+v, want only the second message", got)
	}
}
