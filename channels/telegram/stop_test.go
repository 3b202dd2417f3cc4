package telegram

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/cita-city/cita/identity"
)

// storeDeliveries is a Deliveries that outlives a Channel, as the database
// does a restart.
type storeDeliveries struct {
	mu     sync.Mutex
	seen   map[[32]byte]bool
	forgot int
}

var _ Deliveries = (*storeDeliveries)(nil)

func newStoreDeliveries() *storeDeliveries { return &storeDeliveries{seen: map[[32]byte]bool{}} }

func (s *storeDeliveries) FirstDelivery(d [32]byte, _ time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[d] {
		return false, nil
	}
	s.seen[d] = true
	return true, nil
}

func (s *storeDeliveries) ForgetDelivery(d [32]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.seen, d)
	s.forgot++
	return nil
}

func (s *storeDeliveries) has(d [32]byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[d]
}

// TestReplayAfterRestartActsOnce is issue 13's replay: an update handled,
// then delivered again to the next process, acts once. What is stored is
// the keyed digest, not the update id.
func TestReplayAfterRestartActsOnce(t *testing.T) {
	store := newStoreDeliveries()
	key := [32]byte{7, 1, 4}
	durable := func(c *Config) { c.Deliveries, c.DedupeKey = store, func() [32]byte { return key } }
	before := newFixture(t, durable)
	raw, id := before.api.Marshal(before.api.Text(ana, ana, "en", "cancel my appointment"))
	if err := before.ch.handle(decodeUpdate(t, raw)); err != nil {
		t.Fatal(err)
	}
	before.settle(t)
	if n := len(before.engine.inbound()); n != 1 {
		t.Fatalf("engine saw the update %d times, want 1", n)
	}
	stopNow(before.ch)

	after := newFixture(t, durable) // the restart: a new channel, the same store
	if err := after.ch.handle(decodeUpdate(t, raw)); err != nil {
		t.Fatal(err)
	}
	after.settle(t)
	if n := len(after.engine.inbound()); n != 0 {
		t.Errorf("after a restart the replayed update acted %d times, want 0", n)
	}
	if !store.has(deliveryDigest(key, id)) || store.has(deliveryDigest([32]byte{}, id)) {
		t.Error("the store does not hold the digest under the dedupe key")
	}
}

// stopNow stops c without waiting for anything.
func stopNow(c *Channel) int {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return c.Stop(ctx)
}

// TestStopWithinDeadlineWhateverTheAPI: with every Bot API call hanging,
// Stop returns within about a second of its deadline, counts the work it
// left (the deletions of "delete my data", a reply, an update whose
// resident still waited for their turn), and takes no more updates: they
// are refused unrecorded, so they act when Telegram delivers them again.
func TestStopWithinDeadlineWhateverTheAPI(t *testing.T) {
	store := newStoreDeliveries()
	line := newLineIDs()
	f := newFixture(t, func(c *Config) { c.IDs, c.Deliveries = line, store })
	srv := httptest.NewServer(f.ch.Handler())
	defer srv.Close()
	f.api.Hang(100, time.Minute, false)
	for _, id := range []int{11, 12, 13} {
		f.ch.out.send(job{chat: ana, call: tgbotapi.NewDeleteMessage(ana, id)})
	}
	f.ch.out.send(job{chat: bruno, message: true, call: tgbotapi.NewMessage(bruno, "reply")})
	if code, _ := post(t, f, srv.URL, f.api.Text(carol, carol, "en", "hi")); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	line.waitFor(t, identity.TelegramAddress(carol))
	if !f.api.WaitFor(5*time.Second, func() bool { return len(f.api.Requests("deleteMessage", "sendMessage")) == 2 }) {
		t.Fatal("the calls did not start")
	}

	const deadline = 300 * time.Millisecond
	const bound = deadline + 2*settleLimit + 200*time.Millisecond // the race detector's slack
	ctx, cancel := context.WithTimeout(t.Context(), deadline)
	defer cancel()
	start := time.Now()
	left := f.ch.Stop(ctx)
	if took := time.Since(start); took > bound {
		t.Errorf("Stop took %v with a hanging API, want under %v", took, bound)
	}
	if left != 5 {
		t.Errorf("Stop left %d pieces of work, want 5 (3 deletions, 1 reply, 1 update)", left)
	}
	if n := len(f.engine.inbound()); n != 0 {
		t.Errorf("engine saw %d updates, want 0", n)
	}
	late, id := f.api.Marshal(f.api.Text(dana, dana, "en", "hi"))
	if err := f.ch.handle(decodeUpdate(t, late)); err == nil {
		t.Error("after Stop an update was taken")
	}
	if store.has(deliveryDigest([32]byte{}, id)) {
		t.Error("an update refused after Stop was recorded: delivered again, it would be dropped")
	}
	if code, _ := post(t, f, srv.URL, f.api.Text(dana, dana, "en", "hi")); code != http.StatusServiceUnavailable {
		t.Errorf("after Stop the webhook answered %d, want 503 (deliver again later)", code)
	}
}
