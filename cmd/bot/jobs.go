package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/cita-city/cita/channels/sms"
	"github.com/cita-city/cita/scheduling"
)

const jobsUsage = `usage: bot jobs run NAME [flags]

jobs:
  redact    delete messages and media older than CITA_REDACT_AFTER at Twilio`

// jobs runs one job now: `bot jobs run NAME [--date YYYY-MM-DD]`. Jobs are
// idempotent and take their clock from m.Now, so running one by hand next
// to `bot serve` is safe.
func (m *Main) jobs(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(m.Stderr, jobsUsage)
		return &exitError{code: 2}
	}
	if len(args) < 2 || strings.HasPrefix(args[1], "-") {
		return usageError("name the job to run: bot jobs run NAME (one of: redact)")
	}
	name := args[1]
	var c Config
	fs := m.flagSet("jobs run "+name, &c)
	date := fs.String("date", "", "the day a job acts on, YYYY-MM-DD (default: today)")
	fs.Bool("force", false, "run even if the job would refuse (close-day before closing time)")
	if err := parse(fs, args[2:]); err != nil {
		return err
	}
	if *date != "" {
		if _, err := scheduling.ParseDate(*date); err != nil {
			return usageError("--date: %v", err)
		}
	}
	switch name {
	case "redact":
		return m.redact()
	default:
		return usageError("unknown job %q (known: redact)", name)
	}
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
