// Command loadgen loads cita the way a surge would: signed Twilio webhooks
// from many distinct fictional numbers in several languages, open loop (a
// fixed rate, so slow answers show up as latency) or closed loop (N
// connections). `loadgen bench` runs every benchmark of `make bench` in one
// go against the real binary and prints one line per figure:
//
//	BENCH <name> <value> <unit>
//	RATIO <name> <value>
//
// Other commands:
//
//	loadgen run --url URL --public-url URL --token TOKEN [--conns N | --rate R] [--duration D]
//	loadgen run --channel telegram --url URL --secret SECRET [--conns N | --rate R] [--duration D]
//	loadgen trivial --addr ADDR [--db FILE]  the baseline: a trivial net/http handler
//	loadgen sessions --n N          memory per live conversation session
//	loadgen probe --bot BIN [--fractions F,F | --rate R] [--idle N] [--max-conns N] [--no-keepalive]
//	                                 the conversation open loop against closed loop, with
//	                                 connections opened and CPU of generator, server and others
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loadgen: "+format+"\n", args...)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: loadgen bench|run|trivial|sessions [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "bench":
		err = benchCmd(os.Args[2:])
	case "run":
		err = runCmd(os.Args[2:])
	case "trivial":
		err = trivialCmd(os.Args[2:])
	case "probe":
		err = probeCmd(os.Args[2:])
	case "sessions":
		err = sessionsCmd(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		logf("%v", err)
		os.Exit(1)
	}
}

// trivialCmd serves the baseline: read the form, answer a fixed TwiML.
// With --db it also commits one single-key bbolt Update (fsync'd) before
// answering: the least any webhook that stores something durably before it
// replies can cost, which bounds what a booking can reach.
func trivialCmd(args []string) error {
	fs := flag.NewFlagSet("trivial", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8099", "listen address")
	dbPath := fs.String("db", "", "bbolt file to write one key to per request")
	_ = fs.Parse(args)
	var commit func() error
	if *dbPath != "" {
		db, err := bolt.Open(*dbPath, 0o600, &bolt.Options{Timeout: time.Second})
		if err != nil {
			return err
		}
		defer db.Close()
		var n atomic.Int64
		commit = func() error { return updateOne(db, n.Add(1)) }
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if commit != nil {
			if err := commit(); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Message>ok</Message></Response>`)
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	// Stop on SIGINT (botProc.stop) even when started with SIGINT ignored,
	// as a background job of a script is.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// runCmd loads a running server's SMS or Telegram webhook with the
// conversation path: residents greet (not timed), then go back and forth
// between "what to bring" and the menu.
func runCmd(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "server base URL")
	channel := fs.String("channel", "sms", "sms (signed Twilio webhooks) or telegram (updates to the webhook)")
	public := fs.String("public-url", "", "sms: the server's CITA_PUBLIC_URL (signatures cover it)")
	token := fs.String("token", "", "sms: the Twilio auth token the server checks")
	secret := fs.String("secret", "", "telegram: the server's TELEGRAM_WEBHOOK_SECRET")
	conns := fs.Int("conns", 64, "closed loop: connections")
	rate := fs.Float64("rate", 0, "open loop: requests per second (overrides --conns)")
	d := fs.Duration("duration", 5*time.Second, "how long")
	residents := fs.Int("residents", 256, "distinct residents")
	_ = fs.Parse(args)
	// greet sends a resident's first message; say a later one.
	var greet, say func(i int, text string) error
	switch *channel {
	case "sms":
		if *public == "" || *token == "" {
			return fmt.Errorf("sms: --public-url and --token are required")
		}
		t := newTarget(*base, *public, *token, 1024)
		nums := numbers()
		*residents = min(*residents, len(nums))
		say = func(i int, text string) error { return t.expect(nums[i], text) }
		// Since issue 12 a new resident's reply may come through the REST
		// API, which this command does not see: any answer will do.
		greet = func(i int, text string) error { _, err := t.say(nums[i], text); return err }
	case "telegram":
		if *secret == "" {
			return fmt.Errorf("telegram: --secret is required")
		}
		t := newTGTarget(*base, *secret, &http.Client{Timeout: 30 * time.Second})
		defer func() {
			if n := t.deferred.Load(); n > 0 {
				logf("%d updates deferred (503: the bot's reply backlog was full)", n)
			}
		}()
		say, greet = t.resident, t.resident
	default:
		return fmt.Errorf("--channel must be sms or telegram, not %q", *channel)
	}
	logf("greeting %d residents", *residents)
	if r := closedLoop(min(64, *residents), *residents, 0, func(_, i int) error { return greet(i, greetings[i%len(greetings)]) }); r.failed > 0 {
		return fmt.Errorf("greeting: %v", r)
	}
	conv := newConversation(*residents)
	do := func(_, i int) error { k := i % *residents; return say(k, conv.next(k)) }
	var r result
	if *rate > 0 {
		r = openLoop(*rate, *d, 1024, do)
	} else {
		r = closedLoop(*conns, 0, *d, do)
	}
	fmt.Println(r)
	return nil
}
