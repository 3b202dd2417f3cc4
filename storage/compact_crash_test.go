package storage

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cita-city/cita/scheduling"
)

// The crash test runs Compact in a child process (this test binary run
// again with crashChildEnv set) that kills itself with SIGKILL at one
// point of the compaction; the parent then opens the database as the next
// start would and checks what is on disk.
const (
	crashChildEnv = "CITA_TEST_COMPACT_CHILD" // database path
	crashAtEnv    = "CITA_TEST_COMPACT_KILL"  // a step name, or "bytes:N"
)

// crashMarker is the identity hash of an appointment deleted before the
// compaction: a raw copy of the old file holds it, the compacted file not.
var crashMarker = []byte("cita-compact-crash-marker-000042")

// TestCompactCrashChild is the child: it compacts the database named by
// crashChildEnv and kills itself where crashAtEnv says. Run alone it skips.
func TestCompactCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("runs only as the child of TestCompactCrash")
	}
	at := os.Getenv(crashAtEnv)
	die := func() { syscall.Kill(os.Getpid(), syscall.SIGKILL); select {} }
	compactStep = func(name, tmp string) {
		if name == at {
			die()
		}
		if n, ok := strings.CutPrefix(at, "bytes:"); ok && name == "opened" {
			limit, _ := strconv.ParseInt(n, 10, 64)
			go func() { // kill as soon as the new file reaches limit bytes
				for {
					if fi, err := os.Stat(tmp); err == nil && fi.Size() >= limit {
						die()
					}
					time.Sleep(20 * time.Microsecond)
				}
			}()
		}
	}
	compactTxMax = 1 << 20 // many commits: the file grows as the copy goes
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	t.Fatal("compaction finished: the kill point was never reached")
}

// bulkInsert stores appts in one transaction, as Insert would one by one.
func bulkInsert(t *testing.T, s *Store, appts []scheduling.Appointment) {
	t.Helper()
	err := s.update(func(tx *bolt.Tx) error {
		b, ids, sched, seats := tx.Bucket(bucketAppointments), tx.Bucket(bucketIdentities), tx.Bucket(bucketSchedule), tx.Bucket(bucketSeats)
		for _, a := range appts {
			rec, err := encodeRecord(a)
			if err != nil {
				return err
			}
			seat := slotKey(a.Office, a.Start.Unix())
			n, err := seatCount(seats, seat)
			if err != nil {
				return err
			}
			if err := errors.Join(b.Put([]byte(a.Code), rec), ids.Put(identityKey(a.Identity), []byte(a.Code)),
				sched.Put(scheduleKey(a.Office, a.Start.Unix(), a.Code), nil), seats.Put(seat, encodeCount(n+1))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCompactCrash kills a compaction of a ~5 MB database at every step
// and at several points of the copy. After each kill the next Open must
// leave only the database in the directory, consistent, with every live
// appointment; and the next Compact must take the deleted marker off the
// disk.
func TestCompactCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 5 MB database and kills 10 compactions")
	}
	const n = 12_000
	began := time.Now()
	template := filepath.Join(t.TempDir(), "cita.db")
	{
		s := mustOpenAt(t, template, Options{NoSync: true})
		rng := rand.New(rand.NewPCG(4, 2))
		appts := make([]scheduling.Appointment, 0, n+1)
		seen := map[string]bool{}
		for i := 0; len(appts) < n; i++ {
			a := realistic(rng, i)
			if !seen[a.Code] {
				seen[a.Code] = true
				appts = append(appts, a)
			}
		}
		gone := appt(1, "GONE0042", "north", slot(9, 0))
		copy(gone.Identity.Hash[:], crashMarker)
		bulkInsert(t, s, append(appts, gone))
		if err := s.Delete(gone.Code); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	if !fileContains(t, template, crashMarker) {
		t.Fatal("the deleted marker is not in the file before compaction: the test could tell nothing")
	}
	t.Logf("built in %v", time.Since(began))
	fi, err := os.Stat(template)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("database of %d appointments: %d bytes", n, fi.Size())

	tests := []struct {
		at       string
		leftover bool // a compaction file must be there after the kill
		renamed  bool // the database is the compacted file
	}{
		{at: "created", leftover: true},
		{at: "opened", leftover: true},
		{at: "bytes:1048576", leftover: true},
		{at: "bytes:2097152", leftover: true},
		{at: "bytes:3145728", leftover: true},
		{at: "copied", leftover: true},
		{at: "synced", leftover: true},
		{at: "renamed", renamed: true},
		{at: "dir synced", renamed: true},
	}
	for _, tt := range tests {
		t.Run(tt.at, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "cita.db")
			copyFile(t, template, path)
			cmd := exec.Command(os.Args[0], "-test.run=^TestCompactCrashChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), crashChildEnv+"="+path, crashAtEnv+"="+tt.at)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("child was not killed (%v):\n%s", err, out)
			}
			left := leftovers(t, dir)
			if tt.leftover && len(left) == 0 {
				t.Fatal("no compaction file after the kill: the kill came elsewhere than meant")
			}
			if size, ok := strings.CutPrefix(tt.at, "bytes:"); ok {
				want, _ := strconv.ParseInt(size, 10, 64)
				if fi, err := os.Stat(filepath.Join(dir, left[0])); err != nil || fi.Size() < want {
					t.Fatalf("compaction file %v smaller than %d bytes: killed too early", fi, want)
				}
			}
			if !tt.leftover && len(left) != 0 {
				t.Fatalf("compaction files %v after the rename", left)
			}
			if got := fileContains(t, path, crashMarker); got == tt.renamed {
				t.Fatalf("database holds the deleted marker: %v; renamed: %v", got, tt.renamed)
			}

			// The next start.
			s := mustOpenAt(t, path, Options{})
			if got := dirNames(t, dir); len(got) != 1 || got[0] != "cita.db" {
				t.Errorf("after the next Open the directory holds %v, want only cita.db", got)
			}
			if err := s.Check(); err != nil {
				t.Fatal(err)
			}
			live := 0
			if err := s.All(func(scheduling.Appointment) error { live++; return nil }); err != nil {
				t.Fatal(err)
			}
			if live != n {
				t.Errorf("%d appointments after the crash, want %d", live, n)
			}
			// And the next compaction finishes the job.
			if err := s.Compact(); err != nil {
				t.Fatal(err)
			}
			if fileContains(t, path, crashMarker) {
				t.Error("deleted marker still in the database after the next compaction")
			}
			for _, name := range dirNames(t, dir) {
				if fileContains(t, filepath.Join(dir, name), crashMarker) {
					t.Errorf("%s holds the deleted marker", name)
				}
			}
		})
	}
}

// TestCompactRemovesLeftovers: compaction files from an earlier crash go
// at Open and at the next Compact, also ones that appear while the store
// is open; other files stay.
func TestCompactRemovesLeftovers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cita.db")
	plant := func(name string) {
		if err := os.WriteFile(filepath.Join(dir, name), crashMarker, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	plant("cita.db.compact-123")
	plant("cita.db.compact-") // empty random part
	plant("other.db.compact-9")
	plant("dev.key")
	s := mustOpenAt(t, path, Options{})
	if got, want := dirNames(t, dir), []string{"cita.db", "dev.key", "other.db.compact-9"}; !slicesEqual(got, want) {
		t.Errorf("after Open: %v, want %v", got, want)
	}
	plant("cita.db.compact-456")
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	if got, want := dirNames(t, dir), []string{"cita.db", "dev.key", "other.db.compact-9"}; !slicesEqual(got, want) {
		t.Errorf("after Compact: %v, want %v", got, want)
	}
}

func leftovers(t *testing.T, dir string) []string {
	var out []string
	for _, n := range dirNames(t, dir) {
		if strings.HasPrefix(n, "cita.db"+compactSuffix) {
			out = append(out, n)
		}
	}
	return out
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}

func slicesEqual(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
