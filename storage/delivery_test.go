package storage

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func digest(s string) [32]byte { return sha256.Sum256([]byte(s)) }

// t0 is a delivery time in the middle of an hour.
var t0 = time.Date(2026, time.December, 2, 14, 37, 12, 0, time.UTC)

func TestFirstDelivery(t *testing.T) {
	type call struct {
		op     string // first, forget, purge
		digest string
		at     time.Duration // after t0
		want   bool          // first: new?
		purged int           // purge: how many dropped
	}
	tests := []struct {
		name  string
		calls []call
	}{
		{"new then duplicate", []call{
			{op: "first", digest: "a", want: true},
			{op: "first", digest: "a", at: time.Second, want: false},
			{op: "first", digest: "b", at: time.Second, want: true},
		}},
		{"still a duplicate at the end of the window", []call{
			{op: "first", digest: "a", want: true},
			{op: "first", digest: "a", at: DeliveryWindow - time.Second, want: false},
		}},
		// The mark keeps only its hour (14:00), so it lasts until 14:00
		// + 49 h: never less than the window.
		{"expires an hour after the window of its hour", []call{
			{op: "first", digest: "a", want: true},
			{op: "first", digest: "a", at: DeliveryWindow + 22*time.Minute, want: false},
			{op: "first", digest: "a", at: DeliveryWindow + 23*time.Minute, want: true},
		}},
		{"forget lets a retry through", []call{
			{op: "first", digest: "a", want: true},
			{op: "forget", digest: "a"},
			{op: "first", digest: "a", at: time.Second, want: true},
			{op: "first", digest: "a", at: 2 * time.Second, want: false},
		}},
		{"forget of an unknown digest", []call{
			{op: "forget", digest: "never"},
		}},
		{"purge drops only expired marks", []call{
			{op: "first", digest: "old", want: true},
			{op: "first", digest: "young", at: 30 * time.Hour, want: true},
			{op: "purge", at: DeliveryWindow + time.Hour, purged: 1},
			{op: "first", digest: "young", at: DeliveryWindow + time.Hour, want: false},
			{op: "first", digest: "old", at: DeliveryWindow + time.Hour, want: true},
			{op: "purge", at: DeliveryWindow + time.Hour, purged: 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustOpen(t)
			for i, c := range tt.calls {
				now := t0.Add(c.at)
				switch c.op {
				case "first":
					got, err := s.FirstDelivery(digest(c.digest), now)
					if err != nil {
						t.Fatalf("call %d: %v", i, err)
					}
					if got != c.want {
						t.Errorf("call %d: FirstDelivery(%q) at +%v = %v, want %v", i, c.digest, c.at, got, c.want)
					}
				case "forget":
					if err := s.ForgetDelivery(digest(c.digest)); err != nil {
						t.Fatalf("call %d: %v", i, err)
					}
				case "purge":
					n, err := s.PurgeDeliveries(now)
					if err != nil {
						t.Fatalf("call %d: %v", i, err)
					}
					if n != c.purged {
						t.Errorf("call %d: purged %d, want %d", i, n, c.purged)
					}
				}
			}
		})
	}
}

// TestDeliverySurvivesRestart: a mark made before the file is closed is
// found after it is opened again, and compaction keeps it.
func TestDeliverySurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cita.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if fresh, err := s.FirstDelivery(digest("sid"), t0); err != nil || !fresh {
		t.Fatalf("first delivery: %v %v", fresh, err)
	}
	s.Close()
	s = mustOpenAt(t, path, Options{})
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	if fresh, err := s.FirstDelivery(digest("sid"), t0.Add(time.Hour)); err != nil || fresh {
		t.Errorf("replay after restart and compaction: new=%v err=%v, want a duplicate", fresh, err)
	}
}

// TestDeliveryConcurrent: of many concurrent deliveries of one digest,
// exactly one is new, also when they share group commits with others.
func TestDeliveryConcurrent(t *testing.T) {
	s := mustOpenAt(t, filepath.Join(t.TempDir(), "cita.db"), Options{NoSync: true})
	const n = 40
	var wg sync.WaitGroup
	results := make(chan bool, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := digest("same")
			if i%2 == 1 {
				d = digest(string(rune('a' + i))) // others in the same groups
			}
			fresh, err := s.FirstDelivery(d, t0)
			if err != nil {
				t.Error(err)
				return
			}
			if i%2 == 0 {
				results <- fresh
			}
		}()
	}
	wg.Wait()
	close(results)
	won := 0
	for fresh := range results {
		if fresh {
			won++
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent deliveries of one digest were new, want 1", won, n/2)
	}
}

// TestDeliveryStoresOnlyDigestAndHour: the file holds the digest and the
// hour, not the minute or second the delivery came.
func TestDeliveryStoresOnlyDigestAndHour(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cita.db")
	s := mustOpenAt(t, path, Options{})
	d := digest("SM0123456789")
	if _, err := s.FirstDelivery(d, t0); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := s.Inspect(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`bucket "deliveries" (1 keys): webhook dedupe marks`,
		"first seen in the hour from 2026-12-02 14:00 UTC",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("inspect lacks %q:\n%s", want, out.String())
		}
	}
	if n, err := s.Deliveries(); err != nil || n != 1 {
		t.Errorf("Deliveries() = %d, %v; want 1", n, err)
	}
	s.Close()
	if !fileContains(t, path, d[:]) {
		t.Fatal("digest not in the file: the test below could not fail")
	}
	for _, sec := range []int64{t0.Unix(), t0.Truncate(time.Minute).Unix()} {
		for _, enc := range [][]byte{be64(sec), be32(uint32(sec))} {
			if fileContains(t, path, enc) {
				t.Errorf("file holds the delivery time %d (%x)", sec, enc)
			}
		}
	}
}

func be64(v int64) []byte  { return binary.BigEndian.AppendUint64(nil, uint64(v)) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// A mark is not written on its own fsync, but a crash can never keep what
// a delivery changed in the file and lose its mark: the next write
// transaction carries it. A mark with no write after it reaches the file
// within markFlush. The "crash" is a copy of the file taken while the
// store is still open.
func TestMarkDurableWithTheNextWrite(t *testing.T) {
	dir := t.TempDir()
	s := mustOpenAt(t, filepath.Join(dir, "cita.db"), Options{})
	defer s.Close()
	crashCopy := func(name string) *Store {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join(dir, "cita.db"))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		c := mustOpenAt(t, path, Options{})
		t.Cleanup(func() { c.Close() })
		return c
	}
	seen := func(c *Store, d [32]byte) bool {
		t.Helper()
		first, err := c.FirstDelivery(d, t0)
		if err != nil {
			t.Fatal(err)
		}
		return !first
	}

	if first, err := s.FirstDelivery(digest("acts"), t0); err != nil || !first {
		t.Fatalf("FirstDelivery = %v, %v", first, err)
	}
	// The delivery's effect: any write of the store.
	if err := s.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put([]byte("effect"), []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	if c := crashCopy("after-write.db"); !seen(c, digest("acts")) {
		t.Error("the write after a delivery committed without its mark")
	}

	if first, err := s.FirstDelivery(digest("reads only"), t0); err != nil || !first {
		t.Fatalf("FirstDelivery = %v, %v", first, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		if seen(crashCopy(fmt.Sprintf("flush-%d.db", i)), digest("reads only")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a mark with no write after it never reached the file")
		}
		time.Sleep(markFlush / 4)
	}
}
