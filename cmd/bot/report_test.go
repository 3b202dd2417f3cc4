package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/scheduling"
	"github.com/cita-city/cita/storage"
)

// runCmd runs `bot ARGS` in-process against the data dir.
func runCmd(t *testing.T, data string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string {
			switch k {
			case "CITA_DATA":
				return data
			case "CITA_PUBLIC_URL":
				return "https://cita.example.org"
			}
			return ""
		},
		Now: func() time.Time { return time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC) },
	}
	code = m.Run(context.Background(), args)
	return out.String(), errOut.String(), code
}

func TestLobbyTokenCommand(t *testing.T) {
	data := t.TempDir()
	out, _, code := runCmd(t, data, "lobby-token", "city-hall")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "token ") {
		t.Fatalf("lobby-token: %d\n%s", code, out)
	}
	token := strings.TrimPrefix(lines[0], "token ")
	if want := "url https://cita.example.org/lobby/?office=city-hall&token=" + token; lines[1] != want {
		t.Fatalf("url line %q, want %q", lines[1], want)
	}
	store, err := storage.Open(filepath.Join(data, dbName), storage.Options{Location: scheduling.Demo().Location})
	if err != nil {
		t.Fatal(err)
	}
	hash, ok, err := store.LobbyToken("city-hall")
	store.Close()
	if !ok || err != nil || hash != sha256.Sum256([]byte(token)) {
		t.Fatalf("stored hash %x, %v, %v: want the token's SHA-256", hash, ok, err)
	}
	// Only the hash is in the file.
	inspect, _, _ := runCmd(t, data, "inspect")
	if strings.Contains(inspect, token) || !strings.Contains(inspect, "lobby display token of office=\"city-hall\"") {
		t.Fatalf("inspect:\n%s", inspect)
	}
	if out, _, code := runCmd(t, data, "lobby-token", "city-hall", "--revoke"); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %d %s", code, out)
	}
	for _, bad := range [][]string{{"lobby-token"}, {"lobby-token", "nowhere"}, {"lobby-token", "city-hall", "extra"}} {
		if _, _, code := runCmd(t, data, bad...); code != 2 {
			t.Errorf("%q: exit %d, want 2", bad, code)
		}
	}
}

// TestReportCommand: the counts of known closed days, by week, masked
// below 5, in text and CSV.
func TestReportCommand(t *testing.T) {
	data := t.TempDir()
	program := scheduling.Demo()
	store, err := storage.Open(filepath.Join(data, dbName), storage.Options{Location: program.Location})
	if err != nil {
		t.Fatal(err)
	}
	// Monday 30 November: 9 appointments, 6 arrive, 1 cancelled, 2 no-shows;
	// Tuesday 1 December (next month): 5, all arrive.
	book := func(day scheduling.Date, n int, status map[int]scheduling.Status) {
		for i := range n {
			var id scheduling.Identity
			id.Epoch, id.Hash[0], id.Hash[1] = 1, byte(day.Day), byte(i)
			a := scheduling.Appointment{Identity: id, Office: "city-hall", Start: day.In(program.Location, 9+i/4, 15*(i%4)),
				Lang: []string{"es", "en"}[i%2], Code: "C" + strings.Repeat("2", 3) + string(rune('A'+day.Day%20)) + string(rune('A'+i)),
				Status: scheduling.StatusBooked, Made: day.AddDays(-2)}
			if err := store.Insert(a, 4); err != nil {
				t.Fatal(err)
			}
			if st, ok := status[i]; ok {
				if _, err := store.SetStatus(a.Code, st); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	mon, tue := scheduling.Date{Year: 2026, Month: 11, Day: 30}, scheduling.Date{Year: 2026, Month: 12, Day: 1}
	in := scheduling.StatusCheckedIn
	book(mon, 9, map[int]scheduling.Status{0: in, 1: in, 2: in, 3: in, 4: in, 5: in, 6: scheduling.StatusCancelled})
	book(tue, 5, map[int]scheduling.Status{0: in, 1: in, 2: in, 3: in, 4: in})
	if err := store.CountWalkIn("city-hall", mon, 1); err != nil {
		t.Fatal(err)
	}
	for _, d := range []scheduling.Date{mon, tue} {
		if _, err := store.CloseDay(d); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()

	out, errOut, code := runCmd(t, data, "report", "--from", "2026-11", "--to", "2026-12", "--format", "csv")
	if code != 0 {
		t.Fatalf("report: %d %s", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows[1:] {
		got[strings.Join(r[:4], "/")] = r[4]
	}
	// Both days fall in ISO week 49.
	for k, v := range map[string]string{
		"city-hall/2026-W49/all/booked": "14", "city-hall/2026-W49/all/arrived": "11", "city-hall/2026-W49/all/no-show": "<5",
		"city-hall/2026-W49/all/cancelled": "<5", "city-hall/2026-W49/all/walk-ins": "<5", "city-hall/2026-W49/all/people-served": "11",
		"all/all/es/booked": "8", "all/all/en/booked": "6", "all/all/es/share": "57%", "all/all/en/share": "43%",
	} {
		if got[k] != v {
			t.Errorf("CSV %s = %q, want %q", k, got[k], v)
		}
	}
	// November alone: Monday only, 9 booked.
	out, _, code = runCmd(t, data, "report", "--from", "2026-11")
	if code != 0 || !strings.Contains(out, "Sun 1 Nov 2026 to Mon 30 Nov 2026") || !strings.Contains(out, "Spanish (es)") {
		t.Fatalf("text report:\n%s", out)
	}
	if !strings.Contains(out, "2026-W49 (from Mon 30 Nov 2026)       9        6       <5         <5        <5              6") {
		t.Fatalf("text report week line:\n%s", out)
	}
	for _, bad := range [][]string{{"report"}, {"report", "--from", "2026-13"}, {"report", "--from", "2026-12", "--to", "2026-11"}, {"report", "--from", "2026-11", "--format", "xml"}} {
		if _, _, code := runCmd(t, data, bad...); code != 2 {
			t.Errorf("%q: exit %d, want 2", bad, code)
		}
	}
}
