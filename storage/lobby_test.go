package storage

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestLobbyTokens(t *testing.T) {
	s := mustOpen(t)
	if _, ok, err := s.LobbyToken("north"); ok || err != nil {
		t.Fatalf("token before any: %v, %v", ok, err)
	}
	h1, h2 := sha256.Sum256([]byte("one")), sha256.Sum256([]byte("two"))
	if err := s.SetLobbyToken("north", h1); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLobbyToken("north", h2); err != nil { // replaces
		t.Fatal(err)
	}
	if got, ok, err := s.LobbyToken("north"); !ok || err != nil || got != h2 {
		t.Fatalf("token = %x, %v, %v; want the second", got, ok, err)
	}
	if _, ok, _ := s.LobbyToken("south"); ok {
		t.Fatal("another office has a token")
	}
	var out bytes.Buffer
	if err := s.Inspect(&out); err != nil {
		t.Fatal(err)
	}
	if want := `lobby display token of office="north" -> sha256 ` + hex.EncodeToString(h2[:]); !strings.Contains(out.String(), want) {
		t.Fatalf("inspect does not show %q:\n%s", want, out.String())
	}
	if err := s.Check(); err != nil {
		t.Fatalf("check with a token: %v", err)
	}
	if err := s.RevokeLobbyToken("north"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.LobbyToken("north"); ok {
		t.Fatal("token survives revoke")
	}
	if err := s.SetLobbyToken("bad\x00office", h1); err == nil {
		t.Fatal("office id with a NUL accepted")
	}
}

// TestWalkInsCounted: walk-ins counted while the day is open end up in the
// day's counter next to what close-day adds, counted in people, and a
// version 1 counter (no walk-ins) still reads.
func TestWalkInsCounted(t *testing.T) {
	s := seed(t) // AAAA, BBBB north 9:00; CCCC south 9:00
	for range 2 {
		if err := s.CountWalkIn("north", day0, 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CloseDay(day0); err != nil {
		t.Fatal(err)
	}
	if err := s.CountWalkIn("north", day0, 3); err != nil { // a late family of three adds up
		t.Fatal(err)
	}
	got, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Office != "north" || got[0].WalkIns != 5 || got[0].Booked != 2 || got[0].NoShow != 2 || got[1].WalkIns != 0 {
		t.Fatalf("counters %+v", got)
	}

	// A counter written by the version 1 layout.
	k, _ := dayKey("east", day0)
	v1 := []byte{counterV1}
	for _, n := range []uint32{4, 3, 1, 0} {
		v1 = binary.BigEndian.AppendUint32(v1, n)
	}
	v1 = append(v1, 1, 2, 'e', 's', 0, 0, 0, 4)
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketCounters).Put(k, v1) }); err != nil {
		t.Fatal(err)
	}
	got, err = s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if c := got[0]; c.Office != "east" || c.Booked != 4 || c.CheckedIn != 3 || c.NoShow != 1 || c.WalkIns != 0 || c.ByLang["es"] != 4 {
		t.Fatalf("version 1 counter read as %+v", c)
	}
	if err := s.CountWalkIn("east", day0, 1); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Counters()
	if c := got[0]; c.Booked != 4 || c.WalkIns != 1 || c.ByLang["es"] != 4 {
		t.Fatalf("version 1 counter after a walk-in: %+v", c)
	}
}
