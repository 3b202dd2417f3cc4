package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cita-city/cita/channels/twilio"
	"github.com/cita-city/cita/channels/voice"
	"github.com/cita-city/cita/scheduling"
	"github.com/cita-city/cita/storage"
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
  sweep       drop webhook dedupe marks older than their 48 h window from
              the database (sessions and cached hashes live in bot serve's
              memory, which sweeps them every minute)
  redact      delete messages, media and call records older than
              CITA_REDACT_AFTER at Twilio
  reconcile   cancel every reminder waiting at Twilio whose code is no longer
              an active appointment, and delete cancelled reminders (bot
              serve runs it at start and every hour)`

// jobs runs one job now: `bot jobs run NAME [--date YYYY-MM-DD]`. Jobs are
// idempotent and take their clock from m.Now, so running one by hand next
// to `bot serve` is safe.
func (m *Main) jobs(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(m.Stderr, jobsUsage)
		return &exitError{code: 2}
	}
	if len(args) < 2 || strings.HasPrefix(args[1], "-") {
		return usageError("name the job to run: bot jobs run NAME (one of: close-day, rotate-key, sweep, redact, reconcile)")
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
	case "reconcile":
		if !day.IsZero() {
			return usageError("reconcile takes no --date: it compares all of Twilio with the database")
		}
		return m.reconcile(ctx, c)
	case "sweep":
		return m.sweep(c)
	case "close-day", "rotate-key":
		return m.retentionJob(c, name, day, *force)
	default:
		return usageError("unknown job %q (known: close-day, rotate-key, sweep, redact, reconcile)", name)
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
	// No server runs here (this process holds the database): nil, so a
	// key retired now is destroyed now if nothing uses it.
	r, err := rotateKeys(path, scheduling.DateOf(now.In(program.Location)), m.rotateDays(), force, store.Epochs, nil)
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
	n, err := twilio.Redact(p, m.Now(), tc.RedactAfter, m.logger())
	if err != nil {
		return fail("%v", err)
	}
	hc, err := twilio.HTTPClient(tc.APIBase, twilioTimeout)
	if err != nil {
		return fail("TWILIO_API_BASE: %v", err)
	}
	calls, err := voice.Redact(voice.NewTwilioCalls(tc.AccountSID, tc.AuthToken, hc), m.Now(), tc.RedactAfter, m.logger())
	if err != nil {
		return fail("%v", err)
	}
	fmt.Fprintf(m.Stdout, "redact: deleted %d messages and %d call records older than %v at Twilio\n", n, calls, tc.RedactAfter)
	return nil
}

// sweep drops the expired webhook dedupe marks from the database. What
// else the sweep covers lives only in a running bot serve's memory.
func (m *Main) sweep(c Config) error {
	_, store, err := m.programStore(c)
	if err != nil {
		return err
	}
	defer store.Close()
	n, err := store.PurgeDeliveries(m.Now())
	if err != nil {
		return fail("sweep: %v", err)
	}
	fmt.Fprintf(m.Stdout, "sweep: dropped %d webhook dedupe marks older than %v; sessions and cached hashes live only in a running bot serve's memory, which sweeps them every minute\n", n, storage.DeliveryWindow)
	return nil
}

// Reminder reconciliation needs the database's active codes.
var _ twilio.Appointments = (*storage.Store)(nil)

// reconcileEvery is how often serve reconciles the reminders waiting at
// Twilio with the database; it also does so at start, which catches the
// cancels a shutdown left undone.
const reconcileEvery = time.Hour

// reconcile runs the reminder reconciliation now. It opens the database,
// so it fails while bot serve holds it: serve runs it itself.
func (m *Main) reconcile(ctx context.Context, c Config) error {
	tc, ok, err := m.twilioEnv()
	if err != nil {
		return err
	}
	if !ok {
		return fail("reconcile: TWILIO_ACCOUNT_SID is not set: no SMS channel, no reminders")
	}
	p, err := tc.provider()
	if err != nil {
		return err
	}
	_, store, err := m.programStore(c)
	if err != nil {
		return err
	}
	defer store.Close()
	rep, err := twilio.Reconcile(ctx, p, store, m.logger())
	fmt.Fprintf(m.Stdout, "reconcile: %v\n", rep)
	if err != nil {
		return fail("%v", err)
	}
	return nil
}

// scheduleReconcile adds the reminder reconciliation to serve's cron: at
// start, then every reconcileEvery. ctx is serve's: shutdown ends a run
// between two Twilio calls, and does not wait for the call in flight
// (twilio-go calls take no context and may take twilioTimeout): that run
// is abandoned, and the next start does its work again. A nil channel (no
// SMS) schedules nothing.
func scheduleReconcile(ctx context.Context, jobs *cron.Cron, ch *twilio.Channel, appts twilio.Appointments, log *slog.Logger) {
	if ch == nil {
		return
	}
	jobs.Schedule(&startThenEvery{every: reconcileEvery}, cron.FuncJob(timedJob("reconcile", func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			if _, err := ch.Reconcile(ctx, appts); err != nil && ctx.Err() == nil {
				log.Error("reconcile", "err", err)
			}
		}()
		select {
		case <-done:
		case <-ctx.Done():
		}
	})))
}

// startThenEvery is a cron schedule that fires as soon as the cron starts,
// then every interval. An interval names no wall-clock time, so DST
// changes neither skip nor repeat it.
type startThenEvery struct {
	every   time.Duration
	started bool // cron asks Next from its one goroutine
}

func (s *startThenEvery) Next(t time.Time) time.Time {
	if !s.started {
		s.started = true
		return t
	}
	return t.Add(s.every)
}
