package storage

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cita-city/cita/scheduling"
)

// chicago is the zone tests read times in.
var chicago = mustLoad("America/Chicago")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// mustOpen opens a Store on a new file in tb's temp dir. When the test ends
// it runs Check, failing the test on any violation, and closes the Store.
func mustOpen(tb testing.TB) *Store {
	tb.Helper()
	return mustOpenAt(tb, filepath.Join(tb.TempDir(), "cita.db"), Options{Location: chicago})
}

func mustOpenAt(tb testing.TB, path string, opts Options) *Store {
	tb.Helper()
	s, err := Open(path, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Check(); err != nil && !errors.Is(err, ErrClosed) {
			tb.Errorf("invariants after test: %v", err)
		}
		s.Close()
	})
	return s
}

// day0 is a Monday; slot(h, m) is a slot on it in Chicago.
var day0 = scheduling.Date{Year: 2026, Month: time.March, Day: 2}

func slot(h, m int) time.Time { return day0.In(chicago, h, m) }

// ident returns a distinct identity per n.
func ident(n int) scheduling.Identity {
	id := scheduling.Identity{Epoch: 7}
	id.Hash[0], id.Hash[1], id.Hash[31] = byte(n>>8), byte(n), 0xa5
	return id
}

// appt is a booked appointment of identity n at office/start.
func appt(n int, code, office string, start time.Time) scheduling.Appointment {
	return scheduling.Appointment{
		Identity: ident(n), Office: office, Start: start, Lang: "es", Code: code,
		Status: scheduling.StatusBooked, Made: day0.AddDays(-3),
	}
}

func mustInsert(tb testing.TB, s *Store, a scheduling.Appointment, capacity int) {
	tb.Helper()
	if err := s.Insert(a, capacity); err != nil {
		tb.Fatalf("insert %s: %v", a.Code, err)
	}
}

func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cita.db")
	mustOpenAt(t, path, Options{})
	began := time.Now()
	s, err := Open(path, Options{Timeout: 200 * time.Millisecond})
	took := time.Since(began)
	if err == nil {
		s.Close()
		t.Fatal("second Open of a locked file succeeded")
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
	if took > time.Second {
		t.Errorf("gave up after %v, want about 200ms", took)
	}
	t.Logf("%v after %v", err, took.Round(time.Millisecond))
}

func TestOpenDefaultTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cita.db")
	mustOpenAt(t, path, Options{})
	began := time.Now()
	_, err := Open(path, Options{})
	if took := time.Since(began); !errors.Is(err, ErrLocked) || took > 2*time.Second {
		t.Fatalf("err = %v after %v, want ErrLocked within 2s", err, took)
	}
}

// realFile returns the bytes of a valid cita database holding one appointment.
func realFile(t *testing.T) []byte {
	path := filepath.Join(t.TempDir(), "real.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustInsert(t, s, appt(1, "AAAA", "north", slot(9, 0)), 2)
	s.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpenCorrupt(t *testing.T) {
	real := realFile(t)
	foreign := filepath.Join(t.TempDir(), "foreign.db")
	db, err := bolt.Open(foreign, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("users")); return err })
	db.Close()
	foreignBytes, _ := os.ReadFile(foreign)

	badMeta := bytes.Clone(real)
	for i := 0; i < 2*4096 && i < len(badMeta); i++ {
		badMeta[i] ^= 0x5a // both meta pages
	}
	corruptTests := []struct {
		name string
		data []byte
	}{
		{"text file", bytes.Repeat([]byte("appointments are not here\n"), 400)},
		{"short garbage", []byte("hello")}, // shorter than a page
		{"zeros", make([]byte, 16384)},
		{"both meta pages damaged", badMeta},
		{"another program's bolt file", foreignBytes}, // valid bolt, no schema
	}
	for _, tt := range corruptTests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cita.db")
			if err := os.WriteFile(path, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(path, Options{})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(after, tt.data) {
				t.Error("Open changed the file")
			}
			t.Logf("%v", err)
		})
	}
}

// setSchema writes version into the meta bucket of the closed file at path.
func setSchema(t *testing.T, path string, version uint32) {
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyMetaSchema, encodeCount(version))
	}); err != nil {
		t.Fatal(err)
	}
}

func TestSchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cita.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustInsert(t, s, appt(1, "AAAA", "north", slot(9, 0)), 2)
	s.Close()

	t.Run("newer", func(t *testing.T) {
		setSchema(t, path, schemaVersion+1)
		_, err := Open(path, Options{})
		if !errors.Is(err, ErrNewerSchema) {
			t.Fatalf("err = %v, want ErrNewerSchema", err)
		}
		t.Logf("%v", err)
	})
	t.Run("older without migration", func(t *testing.T) {
		setSchema(t, path, schemaVersion-1)
		saved := migrations
		defer func() { migrations = saved }()
		migrations = map[uint32]func(*bolt.Tx) error{}
		_, err := Open(path, Options{})
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("err = %v, want ErrCorrupt (no migration)", err)
		}
	})
	t.Run("older migrates", func(t *testing.T) {
		setSchema(t, path, schemaVersion-1)
		saved := migrations
		defer func() { migrations = saved }()
		ran := 0
		migrations = map[uint32]func(*bolt.Tx) error{
			schemaVersion - 1: func(tx *bolt.Tx) error { ran++; return nil },
		}
		s := mustOpenAt(t, path, Options{})
		if ran != 1 {
			t.Fatalf("migration ran %d times, want 1", ran)
		}
		if _, err := s.ByCode("AAAA"); err != nil {
			t.Fatalf("data lost in migration: %v", err)
		}
		s.Close()
		migrations = saved
		s = mustOpenAt(t, path, Options{}) // version recorded: no migration needed
		if err := s.Check(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestClosed(t *testing.T) {
	s := mustOpen(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ByCode("AAAA"); !errors.Is(err, ErrClosed) {
		t.Errorf("ByCode after Close: %v, want ErrClosed", err)
	}
	if err := s.Insert(appt(1, "AAAA", "north", slot(9, 0)), 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Insert after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close: %v, want ErrClosed", err)
	}
}

func TestPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	if s := mustOpenAt(t, path, Options{}); s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
}
