package storage

import (
	"fmt"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/cita-city/cita/scheduling"
)

func TestInspect(t *testing.T) {
	s := seed(t)
	if _, err := s.SetStatus("BBBB", scheduling.StatusCancelled); err != nil {
		t.Fatal(err)
	}
	// Something no cita code writes: Inspect must show it anyway.
	if err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("stray"))
		if err != nil {
			return err
		}
		nested, err := b.CreateBucket([]byte("deeper"))
		if err != nil {
			return err
		}
		return nested.Put([]byte("secret"), []byte{0xca, 0xfe})
	}); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := s.Inspect(&out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	t.Logf("\n%s", got)
	id := ident(1)
	for _, want := range []string{
		"schema version 4",
		"free pages",
		`bucket "appointments" (3 keys)`,
		`bucket "identities" (2 keys)`,
		`bucket "schedule" (3 keys)`,
		`bucket "seats" (2 keys)`,
		`bucket "meta" (1 keys)`,
		fmt.Sprintf("hash %x", id.Hash),
		`code="AAAA" office="north" start=2026-03-02T09:00:00-06:00 (1772463600) lang="es" status=booked made=2026-02-27 party=1 arrived=0 identity=epoch 7`,
		`code="BBBB" office="north" start=2026-03-02T09:00:00-06:00 (1772463600) lang="es" status=cancelled made=2026-02-27 party=1 arrived=0 identity=epoch 0 hash 0000`,
		`office="north" start=2026-03-02T09:00:00-06:00 (1772463600) -> 1 taken`,
		`office="south" start=2026-03-02T09:00:00-06:00 (1772463600) code="CCCC"`,
		`"schema" -> schema version 4`,
		`bucket "stray"/"deeper" (1 keys): unknown bucket: raw hex`,
		"key 736563726574 value cafe",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// Leave the file as the cleanup's Check expects.
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("stray")) }); err != nil {
		t.Fatal(err)
	}
}
