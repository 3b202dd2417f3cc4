package main

import (
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/scheduling"
	"github.com/cita-city/cita/storage"
)

// Retention jobs: close-day and rotate-key (promises P4 and P7). Both take
// now from the caller and are idempotent: run twice, or late, or after the
// clock jumped back, they do nothing wrong.

// retentionSpec is when serve runs close-day then rotate-key, in the
// program's zone: after offices close, and never between 01:00 and 02:59,
// which DST skips or repeats. CITA_RETENTION_SPEC replaces it (a city whose
// offices close later; tests, with "@every 1s").
const retentionSpec = "30 21 * * *"

// defaultRotateDays is how old the newest key may get before rotate-key
// adds an epoch (CITA_KEY_ROTATE_DAYS).
const defaultRotateDays = 30

// closesAt returns when the last office of p closes on d: the end of its
// last slot, in p's zone. A day without slots anywhere closes at its start.
func closesAt(p *scheduling.Program, d scheduling.Date) time.Time {
	end := d.In(p.Location, 0, 0)
	for _, o := range p.Offices {
		if slots := p.Slots(o, d); len(slots) > 0 {
			if e := slots[len(slots)-1].Add(time.Duration(o.SlotMinutes) * time.Minute); e.After(end) {
				end = e
			}
		}
	}
	return end
}

// closeDays runs close-day. With a zero day it closes every day holding
// appointments whose offices have all closed by now, today included once
// the last office closes (or, with force, even before), and says when
// today closes if it is not yet closed. With a day it closes that one,
// refusing before its offices have closed unless force. Then it drops
// expired webhook dedupe marks and compacts the file, so deleted bytes,
// including any "delete my data" since the last run, leave the disk.
func closeDays(store *storage.Store, p *scheduling.Program, now time.Time, day scheduling.Date, force bool, out io.Writer) error {
	now = now.In(p.Location)
	today := scheduling.DateOf(now)
	var days []scheduling.Date
	if day.IsZero() {
		all, err := store.DaysBefore(today.AddDays(1).In(p.Location, 0, 0))
		if err != nil {
			return err
		}
		for _, d := range all {
			if at := closesAt(p, d); at.After(now) && !force {
				fmt.Fprintf(out, "close-day: %v not closed: its last office closes at %s; the next run after that closes it\n", d, at.Format("15:04 MST"))
				continue
			}
			days = append(days, d)
		}
	} else {
		if at := closesAt(p, day); at.After(now) && !force {
			return fail("close-day %v: its offices have not all closed yet (the last closes at %s); run after then, or pass --force to mark everyone still booked a no-show now", day, at.Format("2006-01-02 15:04 MST"))
		}
		days = []scheduling.Date{day}
	}
	for _, d := range days {
		rep, err := store.CloseDay(d)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "close-day %v: %d appointments rolled into counters and deleted (%d marked no-show)\n", d, rep.Deleted, rep.NoShows)
		for _, c := range rep.Counts {
			fmt.Fprintf(out, "  %s: booked %d, checked in %d, no-show %d, cancelled %d\n", c.Office, c.Booked, c.CheckedIn, c.NoShow, c.Cancelled)
		}
	}
	if len(days) == 0 {
		fmt.Fprintln(out, "close-day: no day to close")
	}
	// Expired webhook dedupe marks go too, so the compaction takes them off
	// the disk even if the periodic sweep has not run (bot jobs run).
	if n, err := store.PurgeDeliveries(now); err != nil {
		return err
	} else if n > 0 {
		fmt.Fprintf(out, "close-day: %d expired webhook dedupe marks dropped\n", n)
	}
	if err := store.Compact(); err != nil {
		return err
	}
	fmt.Fprintln(out, "close-day: database compacted: deleted records are gone from the file")
	return nil
}

// rotateKeys runs rotate-key on the key file at path (identity.Rotator
// holds the policy): it removes what a write that died left beside the
// file, reads the file and hands it to the Rotator, which tells use each
// new key set. use is the running server's keyring, or nil when no server
// runs in this process (bot jobs run): then a key retired now is destroyed
// now if nothing uses it, while a server keeps it until the next run.
func rotateKeys(path string, today scheduling.Date, everyDays int, force bool, inUse func() (map[uint32]int, error), use func([]identity.Key) error) (identity.Rotation, error) {
	// Strays of a rotation that died go even when this run writes nothing.
	if err := identity.RemoveKeyStrays(identity.OS, path); err != nil {
		return identity.Rotation{}, fail("%v", err)
	}
	keys, err := readKeys(path)
	if err != nil {
		return identity.Rotation{}, err
	}
	r := identity.Rotator{
		Files:  identity.OS,
		Path:   path,
		Policy: identity.RotatePolicy{EveryDays: everyDays, Force: force},
		Rand:   rand.Reader,
		InUse:  inUse,
		Use:    use,
	}
	rot, err := r.Rotate(keys, today)
	if err != nil {
		return rot, fail("%v", err)
	}
	return rot, nil
}

// rotateDays is CITA_KEY_ROTATE_DAYS, default 30.
func (m *Main) rotateDays() int {
	if n := m.envUint32("CITA_KEY_ROTATE_DAYS", defaultRotateDays); n < 10000 { // checkEnv refused 0
		return int(n)
	}
	return defaultRotateDays
}

// printEpochs lists the key epochs with the appointments using each, for
// bot inspect: ids and dates, never key bytes.
func printEpochs(w io.Writer, c Config, store *storage.Store) {
	used, err := store.Epochs()
	if err != nil {
		fmt.Fprintf(w, "\nkey epochs: %v\n", err)
		return
	}
	fmt.Fprintln(w, "\nkey epochs (from the key file, which is not part of the database; secrets never shown):")
	path, err := keyPath(c)
	var keys []identity.Key
	if err == nil {
		// Like every start: a key-file write that died leaves no stray.
		if err := identity.RemoveKeyStrays(identity.OS, path); err != nil {
			fmt.Fprintf(w, "  leftovers of a key-file write not removed: %v\n", err)
		}
		keys, err = readKeys(path)
	}
	if err != nil {
		fmt.Fprintf(w, "  key file not read: %v\n", err)
	}
	seen := map[uint32]bool{}
	for i, k := range keys {
		role := "retired, kept while appointments use it"
		if i == 0 {
			role = "newest, used for new bookings"
		}
		seen[k.Epoch] = true
		fmt.Fprintf(w, "  epoch %d created %v: %s; %d stored appointments\n", k.Epoch, k.Created, role, used[k.Epoch])
	}
	for _, e := range slices.Sorted(maps.Keys(used)) {
		if !seen[e] {
			fmt.Fprintf(w, "  epoch %d: no key (destroyed or elsewhere); %d stored appointments\n", e, used[e])
		}
	}
}

// scheduleRetention adds close-day then rotate-key to serve's cron, at
// retentionSpec (or CITA_RETENTION_SPEC) in the program's zone. rotate-key
// swaps the running keyring to each new key set before the file loses a
// key.
func (m *Main) scheduleRetention(jobs *cron.Cron, a *app, log *slog.Logger) error {
	every := m.rotateDays()
	spec := m.env("CITA_RETENTION_SPEC", retentionSpec)
	_, err := jobs.AddFunc(spec, func() {
		var out strings.Builder
		now := m.Now()
		timedJob("close-day", func() {
			if err := closeDays(a.store, a.program, now, scheduling.Date{}, false, &out); err != nil {
				log.Error("close-day", "err", err)
			}
		})()
		timedJob("rotate-key", func() {
			r, err := rotateKeys(a.keyFile, scheduling.DateOf(now.In(a.program.Location)), every, false, a.store.Epochs, a.hasher.Use)
			if err != nil {
				log.Error("rotate-key", "err", err)
			} else {
				out.WriteString(r.String())
			}
		})()
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			log.Info("retention: " + line)
		}
	})
	if err != nil {
		return fail("CITA_RETENTION_SPEC %q: %v (want a cron spec such as %q)", spec, err, retentionSpec)
	}
	return nil
}
