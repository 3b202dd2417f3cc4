package twilio

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/scheduling"
	"github.com/cita-city/cita/storage"
)

var _ Deliveries = (*storage.Store)(nil)

// storeFixture is newFixture with its dedupe marks in the bbolt file at
// path, digested under the dedupe key of keys.
func storeFixture(t *testing.T, path string, keys []identity.Key) (*fixture, *storage.Store) {
	t.Helper()
	s, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f := newFixture(t)
	c := f.ch.c
	c.Deliveries = s
	key := identity.DedupeKey(keys)
	c.DedupeKey = func() [32]byte { return key }
	f.ch.Close()
	if f.ch, err = New(c); err != nil {
		t.Fatal(err)
	}
	return f, s
}

func dedupeKeys(t *testing.T) []identity.Key {
	var keys []identity.Key
	for e := uint32(1); e <= 2; e++ {
		k := identity.Key{Epoch: e, Created: scheduling.Date{Year: 2026, Month: 11, Day: int(e)}}
		for i := range k.Secret {
			k.Secret[i] = byte(e*40) + byte(i)
		}
		keys = append(keys, k)
	}
	return keys
}

// TestReplayAfterRestart: a request, a restart (the store closed and
// opened again from the same file, a new channel), then the same signed
// request replayed: it is acted on once. A request whose handling failed
// is acted on when Twilio retries it after the restart.
func TestReplayAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cita.db")
	keys := dedupeKeys(t)
	token := http.Header{"I-Twilio-Idempotency-Token": {"tok-restart"}}

	f, s := storeFixture(t, path, keys)
	f.post(inbound("SM50", "4"), formType, "", nil)
	f.post(inbound("SM51", "1"), formType, "", token)
	if n := f.eng.calls(); n != 2 {
		t.Fatalf("before the restart the engine got %d messages, want 2", n)
	}
	f.ch.Close()
	s.Close()

	// The restart, one hour later, after a rotation that added an epoch.
	rotated := append([]identity.Key{{Epoch: 3, Created: scheduling.Date{Year: 2026, Month: 12, Day: 1}, Secret: [32]byte{3, 3, 3}}}, keys...)
	g, _ := storeFixture(t, path, rotated)
	g.now = g.now.Add(time.Hour)
	tests := []struct {
		name   string
		sid    string
		header http.Header
		acts   bool
	}{
		{"replayed MessageSid", "SM50", nil, false},
		{"replayed idempotency token, new MessageSid", "SM52", token, false},
		{"a new message", "SM53", nil, true},
		{"the new message replayed", "SM53", nil, false},
	}
	for _, tt := range tests {
		before := g.eng.calls()
		if status, _ := g.post(inbound(tt.sid, "4"), formType, "", tt.header); status != 200 {
			t.Errorf("%s: status %d", tt.name, status)
		}
		if acted := g.eng.calls() > before; acted != tt.acts {
			t.Errorf("%s: acted %v, want %v", tt.name, acted, tt.acts)
		}
	}
}

// TestDedupeStoreHoldsNoID: the file holds the keyed digests, not the
// MessageSid, the token or their plain SHA-256.
func TestDedupeStoreHoldsNoID(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cita.db")
	f, s := storeFixture(t, path, dedupeKeys(t))
	f.post(inbound("SM7b2f0c0ffee", "4"), formType, "", http.Header{"I-Twilio-Idempotency-Token": {"idem-8d1e"}})
	if n, err := s.Deliveries(); err != nil || n != 2 {
		t.Fatalf("%d marks stored (%v), want 2", n, err)
	}
	f.ch.Close()
	s.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sid, tok := mark("sid", "SM7b2f0c0ffee"), mark("token", "idem-8d1e")
	keyed := f.ch.dedupe.keyed(sid)
	if !bytes.Contains(data, keyed[:]) {
		t.Fatal("the keyed digest is not in the file: the checks below prove nothing")
	}
	for name, b := range map[string][]byte{
		"MessageSid": []byte("SM7b2f0c0ffee"), "token": []byte("idem-8d1e"),
		"SHA-256 of the MessageSid": sid[:], "SHA-256 of the token": tok[:],
	} {
		if bytes.Contains(data, b) {
			t.Errorf("the file holds the %s", name)
		}
	}
}

// failingDeliveries is a store that always fails.
type failingDeliveries struct{}

func (failingDeliveries) FirstDelivery([32]byte, time.Time) (bool, error) {
	return false, storage.ErrClosed
}
func (failingDeliveries) ForgetDelivery([32]byte) error          { return storage.ErrClosed }
func (failingDeliveries) PurgeDeliveries(time.Time) (int, error) { return 0, storage.ErrClosed }

// TestDedupeStoreFails: when the store fails, a message is still answered
// once, and a retry to the same process is still caught, in memory.
func TestDedupeStoreFails(t *testing.T) {
	f := newFixture(t)
	c := f.ch.c
	c.Deliveries = failingDeliveries{}
	c.DedupeKey = func() [32]byte { return [32]byte{1} }
	f.ch.Close()
	var err error
	if f.ch, err = New(c); err != nil {
		t.Fatal(err)
	}
	f.post(inbound("SM60", "4"), formType, "", nil)
	f.post(inbound("SM60", "4"), formType, "", nil)
	if n := f.eng.calls(); n != 1 {
		t.Errorf("engine got %d messages, want 1", n)
	}
	if !bytes.Contains([]byte(f.logs.String()), []byte("dedupe store")) {
		t.Error("the store's failure was not logged")
	}
}

// TestDedupeDigestIsIdentitys: the digest the SMS channel stores is
// identity.DeliveryDigest, the construction every channel shares.
func TestDedupeDigestIsIdentitys(t *testing.T) {
	key := identity.DedupeKey(dedupeKeys(t))
	d := newDedupe(failingDeliveries{}, func() [32]byte { return key }, nil)
	for _, c := range []struct{ kind, id string }{{"sid", "SM0123"}, {"token", "idem-1"}} {
		if d.keyed(mark(c.kind, c.id)) != identity.DeliveryDigest(key, c.kind, c.id) {
			t.Errorf("%s %s: the SMS digest differs from identity.DeliveryDigest", c.kind, c.id)
		}
	}
}
