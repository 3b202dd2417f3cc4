//go:build linux

package main

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// disableCoreDumps keeps the process's memory out of core files: a core
// holds whatever numbers and chat ids were in memory (docs/PRIVACY.md,
// "Memory"). RLIMIT_CORE 0 stops the kernel writing one on a crash;
// not dumpable also keeps other processes of the same user from attaching
// a debugger (gcore) or reading /proc/PID/mem. Root still can.
func disableCoreDumps() error {
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}); err != nil {
		return fmt.Errorf("set RLIMIT_CORE to 0: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl PR_SET_DUMPABLE 0: %w", err)
	}
	return nil
}

// openFileLimit is the soft limit on open files. The Go runtime has
// already raised it to one below the hard limit at start (Go 1.19 and
// later).
func openFileLimit() int {
	var l unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &l); err != nil || l.Cur > 1<<30 {
		return 0
	}
	return int(l.Cur)
}
