// Command bot is cita: one binary that serves residents on SMS and Telegram,
// clerks on the web, and operators on the command line. It is the only place
// that reads the environment, opens files and reads the clock; everything it
// wires takes those as values.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	now, err := clock(os.Getenv("CITA_NOW"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "bot: CITA_NOW: %v\n", err)
		os.Exit(2)
	}
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Now: now}
	os.Exit(m.Run(ctx, os.Args[1:]))
}

// clock returns the wall clock, or, when CITA_NOW names an RFC 3339 time, a
// clock that starts there and runs at the normal rate. Tests and demos use it
// to pin "today"; production leaves it unset.
func clock(start string) (func() time.Time, error) {
	if start == "" {
		return time.Now, nil
	}
	t0, err := time.Parse(time.RFC3339, start)
	if err != nil {
		return nil, fmt.Errorf("want an RFC 3339 time like 2026-11-30T08:00:00-06:00")
	}
	began := time.Now()
	return func() time.Time { return t0.Add(time.Since(began)) }, nil
}

// Main is the program with its outside world as fields, so tests run it
// in-process with their own streams, environment and clock.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Now            func() time.Time
}

// exitError carries an exit status and a one-line message for the operator.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func fail(format string, args ...any) error {
	return &exitError{code: 1, msg: fmt.Sprintf(format, args...)}
}

func usageError(format string, args ...any) error {
	return &exitError{code: 2, msg: fmt.Sprintf(format, args...)}
}

const usage = `usage: bot COMMAND [flags]

commands:
  serve     run the channels, the clerk web and the jobs
  chat      be a resident in the terminal (one message per line on stdin)
  list      print a day's appointments
  inspect   print everything the database holds
  keygen    write a new hash key file
  check     validate the program file and the locales
  jobs      run a job now (bot jobs run redact)
  clerk     add, remove or list clerk accounts (bot clerk add NAME; password on stdin)
  lobby-token  make or revoke an office's waiting-room screen link (bot lobby-token OFFICE)
  report    the managers' report over closed days (bot report --from YYYY-MM --to YYYY-MM)

Run "bot COMMAND -h" for a command's flags.`

// Run runs one command and returns the process exit status.
func (m *Main) Run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(m.Stderr, usage)
		return 2
	}
	cmds := map[string]func(context.Context, []string) error{
		"serve":   m.serve,
		"chat":    m.chat,
		"list":    m.list,
		"inspect": m.inspect,
		"keygen":  m.keygen,
		"check":   m.check,
		"jobs":    m.jobs,
		"clerk":   m.clerkCmd,

		"lobby-token": m.lobbyToken,
		"report":      m.report,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			fmt.Fprintln(m.Stdout, usage)
			return 0
		}
		fmt.Fprintf(m.Stderr, "bot: unknown command %q\n\n%s\n", args[0], usage)
		return 2
	}
	err := m.checkEnv()
	if err == nil {
		err = cmd(ctx, args[1:])
	}
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(m.Stderr, "bot %s: %s\n", args[0], ee.msg)
		}
		return ee.code
	}
	fmt.Fprintf(m.Stderr, "bot %s: %v\n", args[0], err)
	return 1
}
