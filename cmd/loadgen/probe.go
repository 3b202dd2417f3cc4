package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cita-city/cita/channels/twilio/twiliotest"
)

// probeCmd runs the conversation load closed loop, then open loop at the
// given fractions of the closed-loop rate, and prints for each run what
// it achieved with the connections it opened and the CPU the generator
// and the server used: what docs/BENCHMARKS.md's account of the open-loop
// figure rests on.
func probeCmd(args []string) error {
	fs := flag.NewFlagSet("probe", flag.ExitOnError)
	bin := fs.String("bot", "bin/bot", "the bot binary")
	d := fs.Duration("duration", 4*time.Second, "length of each run")
	conns := fs.Int("conns", 64, "connections of the closed-loop run")
	idle := fs.Int("idle", 128, "idle connections the client keeps")
	maxConns := fs.Int("max-conns", 0, "connections the client may open at once (0: no limit)")
	noKeepAlive := fs.Bool("no-keepalive", false, "open loop: a new connection for every request")
	fixed := fs.Float64("rate", 0, "open loop at this rate instead of fractions of the closed-loop rate")
	fracs := fs.String("fractions", "0.5,0.8,0.9", "open-loop rates as fractions of the closed-loop rate")
	_ = fs.Parse(args)
	tmp, err := os.MkdirTemp("", "cita-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fake := twiliotest.New(time.Now)
	defer fake.Close()
	b, err := startBot(*bin, filepath.Join(tmp, "fast"), fake.URL, false, nil)
	if err != nil {
		return err
	}
	defer b.stop()
	// The closed loop's client keeps its connections; the open loop's has
	// the pool the flags ask for (set before its first use).
	t := newTarget(b.base, publicURL, twiliotest.AuthToken, 2**conns)
	ot := newTarget(b.base, publicURL, twiliotest.AuthToken, *idle)
	ot.hc.Transport.(*http.Transport).MaxConnsPerHost = *maxConns
	ot.hc.Transport.(*http.Transport).DisableKeepAlives = *noKeepAlive
	nums := numbers()
	talkers := nums[:*conns*32] // as in the bench: 2,048 for the open loop
	if r := closedLoop(*conns, len(talkers), 0, func(_, i int) error {
		_, err := t.say(talkers[i], greetings[i%len(greetings)]) // the reply may come through REST
		return err
	}); r.failed > 0 {
		return fmt.Errorf("greeting: %v", r)
	}
	conv := newConversation(len(talkers))
	// The closed loop's connections take turns over the first 4*conns
	// residents (i runs over all connections, so a resident's messages
	// follow each other); the open loop spreads over all of them.
	closedSay := func(_, i int) error { k := i % (*conns * 4); return t.expect(talkers[k], conv.next(k)) }
	say := func(_, i int) error { k := i % len(talkers); return ot.expect(talkers[k], conv.next(k)) }
	fmt.Printf("# load average %.2f\n", loadAvg())
	cpu := startCPU(b.cmd.Process.Pid)
	cr := closedLoop(*conns, 0, *d, closedSay)
	fmt.Printf("closed %d conns: %v; %v\n", *conns, cr, cpu.stop())
	for _, f := range strings.Split(*fracs, ",") {
		frac, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return err
		}
		time.Sleep(500 * time.Millisecond)
		rate := frac * cr.rate()
		if *fixed > 0 {
			rate, frac = *fixed, *fixed/cr.rate()
		}
		dials, cpu := ot.dials.Load(), startCPU(b.cmd.Process.Pid)
		r := openLoop(rate, *d, 4096, say)
		u := cpu.stop()
		per := func(cores float64) float64 { return cores * r.elapsed.Seconds() / float64(r.ok+r.failed) * 1e6 }
		fmt.Printf("open %.2f (%.0f/s): %v; achieved %.1f%%, peak %d in flight, %d sent late, %d dials, %v; per request %.0f µs generator, %.0f µs server\n",
			frac, rate, r, 100*r.rate()/rate, r.peak, r.late, ot.dials.Load()-dials, u, per(u.gen), per(u.server))
	}
	return nil
}
