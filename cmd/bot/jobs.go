package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/cita-city/cita/channels/sms"
	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/scheduling"
)

const jobsUsage = `usage: bot jobs run NAME [flags]

jobs:
  close-day   mark the unattended as no-shows, roll days whose offices have
              closed into anonymous counters, delete their appointments and
              compact the file (--date DAY: only that day; --force: even
              before its offices close)
  rotate-key  add a key epoch if the newest is CITA_KEY_ROTATE_DAYS old
              (default 30; --force: now), destroy retired keys no
              appointment uses
  sweep       expire sessions and dedupe marks (they live in bot serve's
              memory, which sweeps them every minute)
  redact      delete messages and media older than CITA_REDACT_AFTER at Twilio`

// jobs runs one job now: `bot jobs run NAME [--date YYYY-MM-DD]`. Jobs are
// idempotent and take their clock from m.Now, so running one by hand next
// to `bot serve` is safe.
func (m *Main) jobs(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(m.Stderr, jobsUsage)
		return &exitError{code: 2}
	}
	if len(args) < 2 || strings.HasPrefix(args[1], "-") {
		return usageError("name the job to run: bot jobs run NAME (one of: close-day, rotate-key, sweep, redact)")
	}
	name := args[1]
	var c Config
	fs := m.flagSet("jobs run "+name, &c)
	date := fs.String("date", "", "the day a job acts on, YYYY-MM-DD (default: today)")
	force := fs.Bool("force", false, "run even if the job would refuse or wait (close-day before closing time; rotate-key before the key is due)")
	if err := parse(fs, args[2:]); err != nil {
		return err
	}
	var day scheduling.Date
	if *date != "" {
		var err error
		if day, err = scheduling.ParseDate(*date); err != nil {
			return usageError("--date: %v", err)
		}
	}
	switch name {
	case "redact":
		return m.redact()
	case "sweep":
		fmt.Fprintln(m.Stdout, "sweep: swept 0: conversation sessions, cached hashes and webhook dedupe marks live only in the memory of a running bot serve, which sweeps them every minute and loses them all when it stops; this process holds none")
		return nil
	case "close-day", "rotate-key":
		return m.retentionJob(c, name, day, *force)
	default:
		return usageError("unknown job %q (known: close-day, rotate-key, sweep, redact)", name)
	}
}

// retentionJob runs close-day or rotate-key against the data dir. While
// bot serve holds the database these fail with "in use": serve runs both
// itself every evening.
func (m *Main) retentionJob(c Config, name string, day scheduling.Date, force bool) error {
	program, store, err := m.programStore(c)
	if err != nil {
		return err
	}
	defer store.Close()
	now := m.Now()
	if name == "close-day" {
		if err := closeDays(store, program, now, day, force, m.Stdout); err != nil {
			return fail("%v", err)
		}
		return nil
	}
	if !day.IsZero() {
		return usageError("rotate-key takes no --date: it uses today")
	}
	path, err := keyPath(c)
	if err != nil {
		return err
	}
	r, err := rotateKeys(path, scheduling.DateOf(now.In(program.Location)), m.rotateDays(), force, store.Epochs,
		func([]identity.Key) error { return nil })
	if err != nil {
		return fail("%v", err)
	}
	fmt.Fprint(m.Stdout, r)
	return nil
}

// redact deletes old messages at Twilio. It needs only the Twilio settings,
// not the database, so it runs while `bot serve` holds the data dir.
func (m *Main) redact() error {
	tc, ok, err := m.twilioEnv()
	if err != nil {
		return err
	}
	if !ok {
		return fail("redact: TWILIO_ACCOUNT_SID is not set: no SMS channel, nothing to redact")
	}
	p, err := tc.provider()
	if err != nil {
		return err
	}
	n, err := sms.Redact(p, m.Now(), tc.RedactAfter, m.logger())
	if err != nil {
		return fail("%v", err)
	}
	fmt.Fprintf(m.Stdout, "redact: deleted %d messages older than %v at Twilio\n", n, tc.RedactAfter)
	return nil
}
