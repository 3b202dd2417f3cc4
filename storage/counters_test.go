package storage

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/cita-city/cita/scheduling"
)

func TestCloseDay(t *testing.T) {
	s := seed(t) // AAAA, BBBB north 9:00; CCCC south 9:00, all identity epoch 7, lang es
	mustInsert(t, s, appt(4, "DDDD", "north", slot(10, 0)), 2)
	en := appt(5, "EEEE", "south", slot(11, 0))
	en.Lang = "en"
	mustInsert(t, s, en, 2)
	next := appt(6, "FFFF", "north", day0.AddDays(1).In(chicago, 9, 0))
	mustInsert(t, s, next, 2)
	for code, st := range map[string]scheduling.Status{
		"AAAA": scheduling.StatusCheckedIn, "BBBB": scheduling.StatusCancelled, "EEEE": scheduling.StatusCheckedIn,
	} {
		if _, err := s.SetStatus(code, st); err != nil {
			t.Fatal(err)
		}
	}
	days, err := s.DaysBefore(day0.AddDays(2).In(chicago, 0, 0))
	if err != nil || len(days) != 2 || days[0] != day0 || days[1] != day0.AddDays(1) {
		t.Fatalf("DaysBefore = %v, %v; want %v and the day after", days, err, day0)
	}

	rep, err := s.CloseDay(day0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.NoShows != 2 || rep.Deleted != 5 || len(rep.Counts) != 2 {
		t.Errorf("report %+v, want 2 no-shows (CCCC, DDDD), 5 deleted, 2 offices", rep)
	}
	got, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	want := []DayCount{
		{Office: "north", Day: day0, Booked: 3, CheckedIn: 1, NoShow: 1, Cancelled: 1, ByLang: map[string]int{"es": 3}},
		{Office: "south", Day: day0, Booked: 2, CheckedIn: 1, NoShow: 1, ByLang: map[string]int{"es": 1, "en": 1}},
	}
	if !sameCounts(got, want) {
		t.Errorf("counters %+v, want %+v", got, want)
	}
	for _, code := range []string{"AAAA", "BBBB", "CCCC", "DDDD", "EEEE"} {
		if _, err := s.ByCode(code); !errors.Is(err, scheduling.ErrNotFound) {
			t.Errorf("%s after close-day: %v, want not found", code, err)
		}
	}
	if _, err := s.ByCode("FFFF"); err != nil {
		t.Errorf("the next day's appointment: %v", err)
	}
	if n := taken(t, s, "north"); len(n) != 1 {
		t.Errorf("north seats after close %v, want only the next day's", n)
	}
	// A freed identity may book again.
	mustInsert(t, s, appt(4, "GGGG", "north", day0.AddDays(1).In(chicago, 10, 0)), 2)

	t.Run("second run changes nothing", func(t *testing.T) {
		rep, err := s.CloseDay(day0)
		if err != nil || rep.Deleted != 0 || rep.NoShows != 0 || len(rep.Counts) != 0 {
			t.Fatalf("second run: %+v, %v", rep, err)
		}
		if got, _ := s.Counters(); !sameCounts(got, want) {
			t.Errorf("counters changed: %+v", got)
		}
	})
	t.Run("epochs", func(t *testing.T) {
		ep, err := s.Epochs()
		if err != nil || len(ep) != 1 || ep[7] != 2 {
			t.Errorf("Epochs = %v, %v; want epoch 7 used twice", ep, err)
		}
	})
	t.Run("compacted file holds none of the closed day", func(t *testing.T) {
		if err := s.Compact(); err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 2, 3, 5} {
			id := ident(n)
			if fileContains(t, s.Path(), id.Hash[:]) {
				t.Errorf("identity %d still in the file", n)
			}
		}
		var out strings.Builder
		if err := s.Inspect(&out); err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{`office="south" day=2026-03-02 booked=2 checked-in=1 no-show=1 cancelled=0 languages: en=1 es=1`} {
			if !strings.Contains(out.String(), w) {
				t.Errorf("inspect lacks %q:\n%s", w, out.String())
			}
		}
	})
}

func sameCounts(a, b []DayCount) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Office != y.Office || x.Day != y.Day || x.Booked != y.Booked || x.CheckedIn != y.CheckedIn ||
			x.NoShow != y.NoShow || x.Cancelled != y.Cancelled || x.WalkIns != y.WalkIns || len(x.ByLang) != len(y.ByLang) {
			return false
		}
		for l, n := range y.ByLang {
			if x.ByLang[l] != n {
				return false
			}
		}
	}
	return true
}

// recordV1Of is a's record as schemas 1 and 2 wrote it: no party and
// arrived bytes.
func recordV1Of(t *testing.T, a scheduling.Appointment) []byte {
	t.Helper()
	rec, err := encodeRecord(a)
	if err != nil {
		t.Fatal(err)
	}
	v1 := append([]byte{recordV1}, rec[1:recordFixedV1]...)
	return append(v1, rec[recordFixedV2:]...)
}

// TestMigrateV1 opens a file as the first release wrote it: five buckets,
// schema 1, no clerks, closures, audit or counters, records of version 1.
// Migrations 1 and 2 bring it to schema 3: its appointment reads as a party
// of one and its record is rewritten.
func TestMigrateV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cita.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := appt(1, "AAAA", "north", slot(9, 0))
	a.Status, a.Arrived = scheduling.StatusCheckedIn, 1 // version 1 has no arrived byte: checked in means 1
	rec := recordV1Of(t, a)
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketAppointments, bucketIdentities, bucketSchedule, bucketSeats, bucketMeta} {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		puts := []struct{ b, k, v []byte }{
			{bucketMeta, keyMetaSchema, encodeCount(1)},
			{bucketAppointments, []byte("AAAA"), rec},
			{bucketIdentities, identityKey(a.Identity), []byte("AAAA")},
			{bucketSchedule, scheduleKey("north", a.Start.Unix(), "AAAA"), nil},
			{bucketSeats, slotKey("north", a.Start.Unix()), encodeCount(1)},
		}
		for _, p := range puts {
			if err := tx.Bucket(p.b).Put(p.k, p.v); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s := mustOpenAt(t, path, Options{Location: chicago})
	if got, err := s.Find(ident(1)); err != nil || got.Code != "AAAA" || got.Party != 1 || got.Arrived != 1 {
		t.Fatalf("Find after migration: %+v, %v", got, err)
	}
	if err := s.Check(); err != nil {
		t.Errorf("Check after migration: %v", err)
	}
	if _, err := s.PutClerk(ClerkAccount{Name: "ana", Role: RoleClerk, Hash: "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA"}); err != nil {
		t.Fatalf("clerks bucket after migration: %v", err)
	}
	if err := s.CloseOffice("north", day0); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAudit("ana", "checkin", "AAAA", slot(9, 5)); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := s.Inspect(&out); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"schema version 4",
		`code="AAAA" office="north" start=2026-03-02T09:00:00-06:00 (1772463600) lang="es" status=checked-in made=2026-02-27 party=1 arrived=1`,
		`clerk="ana" role=clerk password=$argon2id$`,
		`office="north" closed=2026-03-02`,
		`clerk="ana" action="checkin" code="AAAA"`,
		`bucket "counters" (0 keys)`,
	} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("inspect lacks %q:\n%s", w, out.String())
		}
	}
}
