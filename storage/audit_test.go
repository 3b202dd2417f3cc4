package storage_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/storage"
)

type auditRow struct {
	at                  time.Time
	clerk, action, code string
}

func readAudit(t *testing.T, s *storage.Store) []auditRow {
	t.Helper()
	var rows []auditRow
	if err := s.EachAudit(func(at time.Time, clerk, action, code string) bool {
		rows = append(rows, auditRow{at, clerk, action, code})
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestAuditNewestFirstAndRetention(t *testing.T) {
	s := openStaffStore(t)
	t0 := time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)
	if err := s.AppendAudit("ana", "check-in", "K7M2QX", t0); err != nil {
		t.Fatal(err)
	}
	// Two entries in the same second keep their order.
	for _, a := range []string{"sign-in", "close-office city-hall 2026-09-02"} {
		if err := s.AppendAudit("bo", a, "", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	rows := readAudit(t, s)
	if len(rows) != 3 || rows[0].action != "close-office city-hall 2026-09-02" || rows[1].action != "sign-in" || rows[2].code != "K7M2QX" || !rows[2].at.Equal(t0) {
		t.Fatalf("audit = %+v", rows)
	}
	// An entry 90 days and a minute later drops the first one only.
	later := t0.Add(storage.AuditRetention + time.Minute)
	if err := s.AppendAudit("ana", "walk-in", "ABCDEF", later); err != nil {
		t.Fatal(err)
	}
	rows = readAudit(t, s)
	if len(rows) != 3 || rows[2].action != "sign-in" || rows[0].code != "ABCDEF" {
		t.Fatalf("after retention: %+v", rows)
	}
	// Stopping early.
	n := 0
	s.EachAudit(func(time.Time, string, string, string) bool { n++; return false })
	if n != 1 {
		t.Fatalf("EachAudit went on after false: %d calls", n)
	}
}

func TestAuditRejects(t *testing.T) {
	s := openStaffStore(t)
	at := time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)
	for _, c := range [][3]string{
		{"", "check-in", ""},
		{"ana", "", ""},
		{"ana", strings.Repeat("x", 200), ""},
		{"ana", "check-in\n+13125550142", ""}, // control characters: no smuggled lines
	} {
		if err := s.AppendAudit(c[0], c[1], c[2], at); err == nil {
			t.Errorf("AppendAudit%q succeeded", c)
		}
	}
}
