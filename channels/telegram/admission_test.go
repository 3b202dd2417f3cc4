package telegram

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/scheduling"
)

// Admission (issue 12): a returning resident is answered from the
// Identifier's memory at once; a new one waits their turn in Admit on their
// chat's goroutine, holding neither the poll loop, a webhook request nor
// anyone else; one turned away is told the line is busy and nothing else
// happens.

// lineIDs is an Identifier with a line: Admit of an address waits until the
// test lets it through (let), or turns it away while busy is set. An
// address let through is cached. Its hash depends on the epoch, so a key
// change shows.
type lineIDs struct {
	mu      sync.Mutex
	epoch   uint32
	cached  map[string]bool
	open    map[string]chan struct{} // closed: Admit of that address returns
	busy    time.Duration            // > 0: Admit turns newcomers away
	waiting chan string              // told of each address that starts waiting
}

func newLineIDs() *lineIDs {
	return &lineIDs{epoch: 1, cached: map[string]bool{}, open: map[string]chan struct{}{}, waiting: make(chan string, 100)}
}

func (l *lineIDs) ids(address string) []scheduling.Identity {
	return []scheduling.Identity{{Epoch: l.epoch, Hash: sha256.Sum256([]byte(fmt.Sprint(l.epoch, address)))}}
}

func (l *lineIDs) Cached(address string, _ time.Time) ([]scheduling.Identity, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.cached[address] {
		return nil, false
	}
	return l.ids(address), true
}

func (l *lineIDs) Admit(ctx context.Context, address string, _ time.Time) ([]scheduling.Identity, error) {
	l.mu.Lock()
	if l.busy > 0 {
		l.mu.Unlock()
		return nil, fmt.Errorf("admit: %w", busyError(l.busy))
	}
	gate := l.gate(address)
	l.mu.Unlock()
	l.waiting <- address
	select {
	case <-gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cached[address] = true
	return l.ids(address), nil
}

// gate returns address's gate; l.mu is held.
func (l *lineIDs) gate(address string) chan struct{} {
	g, ok := l.open[address]
	if !ok {
		g = make(chan struct{})
		l.open[address] = g
	}
	return g
}

// let lets address through Admit, now and later.
func (l *lineIDs) let(address string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.gate(address))
}

// rotate changes the keys: nothing cached survives, as with a new Hasher.
func (l *lineIDs) rotate() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.epoch++
	l.cached = map[string]bool{}
	for a, g := range l.open {
		select {
		case <-g:
		default:
			continue
		}
		l.cached[a] = true // let through before: admitted at once again
	}
}

// waitFor waits until address starts waiting in Admit.
func (l *lineIDs) waitFor(t *testing.T, address string) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case a := <-l.waiting:
			if a == address {
				return
			}
		case <-timeout:
			t.Fatalf("%s never waited in Admit", address)
		}
	}
}

// busyText stands in for the catalog's "busy" message, to read the
// language and the minutes the channel asked for.
type busyText struct{ Messages }

func (b busyText) Count(lang, id string, n int, data map[string]any) (string, error) {
	if id == "busy" {
		return fmt.Sprintf("busy in %s: write again in %d minutes", lang, n), nil
	}
	return b.Messages.Count(lang, id, n, data)
}

func TestNewResidentWaitsWithoutHoldingOthers(t *testing.T) {
	line := newLineIDs()
	f := newFixture(t, func(c *Config) { c.IDs = line })
	srv := httptest.NewServer(f.ch.Handler())
	defer srv.Close()
	newcomer, returning := identity.TelegramAddress(ana), identity.TelegramAddress(bruno)
	line.let(returning)
	line.cached[returning] = true

	// The newcomer's webhook request is answered while they wait.
	answered := make(chan int, 1)
	go func() {
		code, _ := post(t, f, srv.URL, f.api.Text(ana, ana, "en", "first"))
		answered <- code
	}()
	line.waitFor(t, newcomer)
	select {
	case code := <-answered:
		if code != http.StatusOK {
			t.Errorf("webhook answered %d while the resident waits, want 200", code)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the webhook request is held while the resident waits in Admit")
	}
	// Their second message waits behind the first.
	if code, _ := post(t, f, srv.URL, f.api.Text(ana, ana, "en", "second")); code != http.StatusOK {
		t.Fatalf("second message: status %d", code)
	}
	// A returning resident is answered meanwhile.
	if code, _ := post(t, f, srv.URL, f.api.Text(bruno, bruno, "en", "hello")); code != http.StatusOK {
		t.Fatalf("returning resident: status %d", code)
	}
	if !f.api.WaitFor(2*time.Second, func() bool { _, ok := f.api.Last(bruno); return ok }) {
		t.Fatal("a returning resident got no reply while a new one waited")
	}
	if got := texts(f.engine.inbound()); got != "hello" {
		t.Errorf("engine saw %q while the newcomer waited, want only the returning resident's", got)
	}

	line.let(newcomer)
	f.settle(t)
	if got := texts(f.engine.inbound()); got != "hello first second" {
		t.Errorf("engine saw %q, want the newcomer's messages after, in arrival order", got)
	}
}

func texts(ins []conversations.Inbound) string {
	var s []string
	for _, in := range ins {
		s = append(s, in.Text)
	}
	return strings.Join(s, " ")
}

func TestBusyResidentToldAndNothingElse(t *testing.T) {
	for _, tc := range []struct {
		name    string
		wait    time.Duration
		minutes int
	}{
		{"minutes rounded up", 150 * time.Second, 3},
		{"under a minute", 10 * time.Second, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line := newLineIDs()
			line.busy = tc.wait
			f := newFixture(t, func(c *Config) { c.IDs, c.Messages = line, busyText{c.Messages} })
			f.engine.reply = menu
			f.deliver(t, f.api.Text(ana, ana, "es", "hola"))
			f.deliver(t, f.api.Contact(ana, ana, ana, "es", "13125550142"))
			f.settle(t)
			if n := len(f.engine.inbound()); n != 0 {
				t.Errorf("engine saw %d messages from a resident turned away, want 0", n)
			}
			want := fmt.Sprintf("busy in es: write again in %d minutes", tc.minutes)
			var got []string
			for _, m := range f.api.Messages(ana) {
				if m.FromBot {
					got = append(got, m.Text)
				}
			}
			if len(got) != 2 || got[0] != want || got[1] != want {
				t.Errorf("bot sent %q, want the busy message twice and nothing else", got)
			}
			if msgs := f.api.Messages(ana); !msgs[1].Deleted || msgs[1].Kind != "contact" {
				t.Errorf("the shared contact was not deleted: %+v", msgs[1])
			}
			// Not linked: once the line is short, the next message is
			// under the chat's own address.
			line.mu.Lock()
			line.busy = 0
			line.mu.Unlock()
			line.let(identity.TelegramAddress(ana))
			f.deliver(t, f.api.Text(ana, ana, "es", "hola"))
			f.settle(t)
			if in := f.engine.inbound(); len(in) != 1 || in[0].Identity != line.ids(identity.TelegramAddress(ana))[0] {
				t.Errorf("after the busy contact the resident is not under their Telegram address")
			}
		})
	}
}

// TestKeyRotationSeenAtNextMessage is issue 14's defect: the channel kept
// a shared number's hashes, so bookings after a rotation went under the old
// epoch. It keeps the number and asks the Identifier each time.
func TestKeyRotationSeenAtNextMessage(t *testing.T) {
	line := newLineIDs()
	f := newFixture(t, func(c *Config) { c.IDs = line })
	const phone = "+13125550142"
	line.let(phone)
	line.let(identity.TelegramAddress(ana))
	f.deliver(t, f.api.Contact(ana, ana, ana, "en", "13125550142"))
	f.deliver(t, f.api.Text(ana, ana, "en", "book"))
	f.settle(t)
	line.rotate()
	f.deliver(t, f.api.Text(ana, ana, "en", "book"))
	f.settle(t)
	in := f.engine.inbound()
	if len(in) != 2 {
		t.Fatalf("engine saw %d messages, want 2", len(in))
	}
	for i, epoch := range []uint32{1, 2} {
		line.mu.Lock()
		line.epoch = epoch
		want := line.ids(phone)[0]
		line.epoch = 2
		line.mu.Unlock()
		if in[i].Identity != want {
			t.Errorf("message %d: identity epoch %d, want the shared number's under epoch %d", i+1, in[i].Identity.Epoch, epoch)
		}
	}
}
