package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cita-city/cita/scheduling"
	"github.com/cita-city/cita/storage"
)

// compactMarker is the identity hash of an appointment on the day that
// close-day deletes: any copy of the old file holds it.
var compactMarker = []byte("cita-e2e-compact-crash-marker-42")

// fillDatabase books n appointments straight into the data dir's database
// (the storage API, not the bot: fast), spread over the demo program's
// offices and the days from 23 November to 11 December 2026, plus one
// marked appointment on 27 November. It returns how many are on the
// 27th.
func fillDatabase(t *testing.T, e *env, n int) (onDay int) {
	t.Helper()
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	s, err := storage.Open(filepath.Join(e.data, dbName), storage.Options{Location: loc, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	offices := []string{"city-hall", "northwest", "south-side"}
	first := scheduling.Date{Year: 2026, Month: time.November, Day: 23}
	closed := scheduling.Date{Year: 2026, Month: time.November, Day: 27}
	const alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
	appts := make(chan scheduling.Appointment)
	var wg sync.WaitGroup
	for range 8 { // concurrent Inserts share commits
		wg.Go(func() {
			for a := range appts {
				if err := s.Insert(a, 1<<20); err != nil {
					t.Error(err)
				}
			}
		})
	}
	rng := rand.New(rand.NewPCG(27, 11))
	for i := range n {
		a := scheduling.Appointment{
			Identity: scheduling.Identity{Epoch: 1}, Office: offices[i%3], Lang: "es",
			Made: first.AddDays(-1), Start: first.AddDays(rng.IntN(19)).In(loc, 9+rng.IntN(8), 15*rng.IntN(4)),
		}
		for j := range a.Identity.Hash {
			a.Identity.Hash[j] = byte(rng.Uint32())
		}
		code := make([]byte, 8)
		for j := range code {
			code[j] = alphabet[rng.IntN(len(alphabet))]
		}
		a.Code = fmt.Sprintf("%s%05d", code, i)
		if scheduling.DateOf(a.Start) == closed {
			onDay++
		}
		appts <- a
	}
	marked := scheduling.Appointment{Identity: scheduling.Identity{Epoch: 1}, Office: "city-hall", Lang: "es",
		Made: first, Start: closed.In(loc, 9, 0), Code: "MARKED"}
	copy(marked.Identity.Hash[:], compactMarker)
	appts <- marked
	close(appts)
	wg.Wait()
	return onDay + 1
}

// TestCompactCrashE2E kills `bot jobs run close-day` with SIGKILL at
// spread-out moments of its compaction of a 4 MB database (from the
// moment the compaction file appears), then starts the bot again (bot
// inspect): the data dir must then hold only the database, consistent,
// with every appointment of the open days. storage's TestCompactCrash
// kills at each named step of Compact; this one runs the real binary.
func TestCompactCrashE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large database and kills close-day repeatedly")
	}
	e := newEnv(t)
	if err := os.MkdirAll(e.data, 0o700); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	const n = 12_000
	onDay := fillDatabase(t, e, n)
	db := filepath.Join(e.data, dbName)
	fi, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("database: %d appointments (%d on the closed day), %d bytes, built in %v", n+1, onDay, fi.Size(), time.Since(began))

	onlyDB := func(when string) {
		t.Helper()
		entries, err := os.ReadDir(e.data)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, en := range entries {
			names = append(names, en.Name())
		}
		if len(names) != 1 || names[0] != dbName {
			t.Fatalf("%s: the data dir holds %v, want only %s", when, names, dbName)
		}
	}

	// closeDay starts close-day, waits for its compaction file to appear,
	// then (kill >= 0) kills it after kill. It returns how long after the
	// file appeared the process ended, and whether it was killed and left
	// the file.
	closeDay := func(kill time.Duration) (took time.Duration, killed, left bool) {
		t.Helper()
		cmd := exec.Command(botBin, "jobs", "run", "close-day", "--date", "2026-11-27")
		cmd.Env = append(os.Environ(), e.vars...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		var appeared time.Time
		for appeared.IsZero() {
			select {
			case err := <-exited:
				t.Fatalf("close-day ended (%v) before its compaction file was seen: %s", err, out.String())
			default:
			}
			if m, _ := filepath.Glob(db + ".compact-*"); len(m) > 0 {
				appeared = time.Now()
				break
			}
			time.Sleep(50 * time.Microsecond)
		}
		if kill >= 0 {
			time.Sleep(kill)
			cmd.Process.Signal(syscall.SIGKILL)
		}
		err := <-exited
		took = time.Since(appeared)
		if ee, ok := err.(*exec.ExitError); ok {
			killed = ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
		}
		if !killed && err != nil {
			t.Fatalf("close-day: %v: %s", err, out.String())
		}
		m, _ := filepath.Glob(db + ".compact-*")
		return took, killed, len(m) > 0
	}

	// A run to the end takes the closed day off the disk, and says how long
	// a compaction lasts here.
	full, _, _ := closeDay(-1)
	onlyDB("after a full close-day")
	data, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, compactMarker) {
		t.Error("the closed day's marker is still in the database after close-day")
	}

	const kills = 10
	var hits []string
	killedWithFile := 0
	for i := range kills {
		d := full * time.Duration(i) / (kills - 1) * 8 / 10 // 0 to 80 % of a run
		_, killed, left := closeDay(d)
		switch {
		case killed && left:
			killedWithFile++
			hits = append(hits, fmt.Sprintf("+%v: killed, file left", d.Round(time.Millisecond)))
		case killed:
			hits = append(hits, fmt.Sprintf("+%v: killed after the rename", d.Round(time.Millisecond)))
		default:
			hits = append(hits, fmt.Sprintf("+%v: finished first", d.Round(time.Millisecond)))
		}

		// The next start.
		if outp, code := e.run("", "inspect"); code != 0 {
			t.Fatalf("kill %d: inspect after the kill: exit %d: %s", i, code, lastLines(outp, 5))
		}
		onlyDB(fmt.Sprintf("kill %d (%s)", i, hits[len(hits)-1]))
		s := openChecked(t, e)
		open := 0
		if err := s.All(func(a scheduling.Appointment) error {
			if scheduling.DateOf(a.Start) != (scheduling.Date{Year: 2026, Month: time.November, Day: 27}) {
				open++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if open != n+1-onDay {
			t.Fatalf("kill %d: %d appointments on open days, want %d", i, open, n+1-onDay)
		}
	}
	t.Logf("close-day runs %v after its compaction file appears; kills: %s", full.Round(time.Millisecond), strings.Join(hits, "; "))
	if killedWithFile < 3 { // timing on a loaded machine varies; most land inside
		t.Errorf("only %d of %d kills came while the compaction file was there: the test did not test much", killedWithFile, kills)
	}
	t.Logf("took %v", time.Since(began))
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
