package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/cita-city/cita/identity"
)

// TestKeyFileStraceKills kills the real binary with SIGKILL at each call
// of each system call that writes, syncs, renames, links or removes files,
// in turn, while it rotates the key (rotate-key --force: add epoch 2, then
// destroy unused epoch 1) and while it writes a new key (keygen), using
// strace's fault injection. After each kill the next start (bot inspect)
// must leave the key file's directory holding only the key file (for
// keygen: or nothing), complete and readable; and once epoch 1 is gone from the key
// file, its secret is in no file there. identity's TestKeyFileWriteFaults
// does the same through a Go seam at every call; this checks the built
// binary. Skipped where strace cannot run.
func TestKeyFileStraceKills(t *testing.T) {
	if testing.Short() {
		t.Skip("about 100 runs of the binary under strace")
	}
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("no strace")
	}
	if err := exec.Command(strace, "-o", "/dev/null", "true").Run(); err != nil {
		t.Skipf("strace cannot trace here: %v", err)
	}
	e := newEnv(t)
	keyDir := filepath.Dir(e.keyFile)
	original, err := os.ReadFile(e.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := identity.ParseKeys(original)
	if err != nil {
		t.Fatal(err)
	}
	epoch1 := keys[0]

	// run runs the binary under strace, killed at call when of syscall,
	// and reports whether it was killed (false: it ran to the end, fewer
	// calls than when).
	run := func(syscallName string, when int, args ...string) bool {
		t.Helper()
		cmd := exec.Command(strace, append([]string{"-f", "-qq", "-o", "/dev/null",
			"-e", "trace=" + syscallName, "-e", fmt.Sprintf("inject=%s:signal=SIGKILL:when=%d", syscallName, when),
			botBin}, args...)...)
		cmd.Env = append(os.Environ(), e.vars...)
		out, err := cmd.CombinedOutput()
		// strace reports the tracee's death by signal as its own.
		if ee, ok := err.(*exec.ExitError); ok {
			if ws := ee.Sys().(syscall.WaitStatus); ws.Signaled() || ee.ExitCode() == 128+int(syscall.SIGKILL) {
				return true
			}
		}
		if err != nil {
			t.Fatalf("%s under strace: %v: %s", args, err, out)
		}
		return false
	}
	reset := func(withKey bool) {
		t.Helper()
		entries, _ := os.ReadDir(keyDir)
		for _, en := range entries {
			os.Remove(filepath.Join(keyDir, en.Name()))
		}
		if withKey {
			if err := os.WriteFile(e.keyFile, original, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(what string, mayBeMissing bool) {
		t.Helper()
		if out, code := e.run("", "inspect"); code != 0 {
			t.Fatalf("%s: the next start (inspect) failed: exit %d: %s", what, code, lastLines(out, 3))
		}
		entries, err := os.ReadDir(keyDir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, en := range entries {
			names = append(names, en.Name())
		}
		if len(names) == 0 && mayBeMissing {
			return
		}
		if len(names) != 1 || names[0] != filepath.Base(e.keyFile) {
			t.Fatalf("%s: after the next start the key dir holds %v, want only the key file", what, names)
		}
		data, err := os.ReadFile(e.keyFile)
		if err != nil {
			t.Fatal(err)
		}
		got, err := identity.ParseKeys(data)
		if err != nil {
			t.Fatalf("%s: key file unreadable after the next start: %v", what, err)
		}
		if mayBeMissing { // keygen: a new key, complete
			return
		}
		has1 := false
		for _, k := range got {
			has1 = has1 || (k.Epoch == 1 && k.Secret == epoch1.Secret)
		}
		b64 := []byte(base64.StdEncoding.EncodeToString(epoch1.Secret[:]))
		if !has1 && (bytes.Contains(data, b64) || bytes.Contains(data, epoch1.Secret[:])) {
			t.Errorf("%s: destroyed epoch 1's secret is still in the key file", what)
		}
	}

	kills := 0
	perCall := map[string]int{}
	for _, sc := range []string{"write", "pwrite64", "fsync", "renameat", "unlinkat"} {
		for when := 1; ; when++ {
			reset(true)
			if !run(sc, when, "jobs", "run", "rotate-key", "--force") {
				break
			}
			kills++
			perCall["rotate-key "+sc]++
			check(fmt.Sprintf("rotate-key killed at %s #%d", sc, when), false)
		}
	}
	for _, sc := range []string{"write", "fsync", "linkat", "unlinkat"} {
		for when := 1; ; when++ {
			reset(false)
			if !run(sc, when, "keygen") {
				break
			}
			kills++
			perCall["keygen "+sc]++
			check(fmt.Sprintf("keygen killed at %s #%d", sc, when), true)
		}
	}
	t.Logf("%d kills under strace: %v", kills, perCall)
	if kills < 10 {
		t.Errorf("only %d kills: strace injection did not work as meant", kills)
	}
}
