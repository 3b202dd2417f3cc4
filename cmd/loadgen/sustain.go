package main

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Open loop versus closed loop: a closed-loop run's maximum is reached
// with the machine fully busy and 64 connections always ready, and an
// open-loop run at 80% of it was not sustained on this machine (see
// docs/BENCHMARKS.md, "The open-loop figure"). The figure is taken at 80%
// of the highest open-loop rate that is sustained instead, found by a
// short search.

// A rate is sustained when a run at it answered every request, got at
// least minAchieved of the offered rate through, and kept its p99 under
// maxSustainedP99. The rate achieved is counted over the run's time less
// its median latency: a server that keeps up answers its last requests
// about that long after they were due, which would otherwise fail a short
// run for no fault; a server that falls behind answers them later and
// later, and the p99 bound caught what this lets through (a shortfall of
// up to twice 1-minAchieved).
const (
	minAchieved     = 0.98
	maxSustainedP99 = 250 * time.Millisecond
)

// sustainedAt tells whether run r, offered at rate, was sustained.
func sustainedAt(r result, rate float64) bool {
	return r.failed == 0 && r.ok > 0 && achieved(r) >= minAchieved*rate &&
		r.pct(99) <= float64(maxSustainedP99.Microseconds())/1000
}

// achieved is run r's rate over its time less its median latency.
func achieved(r result) float64 {
	window := r.elapsed.Seconds() - r.pct(50)/1000
	if window <= 0 {
		return 0
	}
	return float64(r.ok) / window
}

// trial is one open-loop run of the search.
type trial struct {
	rate float64
	res  result
	ok   bool
}

func (t trial) String() string {
	if t.res.ok+t.res.failed == 0 {
		return fmt.Sprintf("%.0f/s: not run (too few residents left for it)", t.rate)
	}
	verdict := "not sustained"
	if t.ok {
		verdict = "sustained"
	}
	if t.res.skipped > 0 {
		verdict += fmt.Sprintf(" (stopped: %d not sent)", t.res.skipped)
	}
	if n := t.res.failed - t.res.skipped; n > 0 {
		verdict += fmt.Sprintf(" (%d failed)", n)
	}
	return fmt.Sprintf("%.0f/s offered: %.1f%% achieved, p99 %.2f ms, %s", t.rate, 100*achieved(t.res)/t.rate, t.res.pct(99), verdict)
}

// searchSustained returns the highest rate in (0, hi] at which try (an
// open-loop run at that rate) is sustained, to within about 2% of hi,
// with steps runs at most (at least 2). It starts at 80% of hi, then
// bisects; a rate found is always one that was tried and sustained. It
// returns 0 when none of the rates tried down to hi/16 was sustained.
func searchSustained(hi float64, steps int, try func(rate float64) result) (float64, []trial) {
	var trials []trial
	run := func(rate float64) bool {
		r := try(rate)
		ok := sustainedAt(r, rate)
		trials = append(trials, trial{rate, r, ok})
		return ok
	}
	best, lo, top := 0.0, 0.0, hi
	x := 0.8 * hi
	for range max(2, steps) {
		if run(x) {
			best, lo = x, x
		} else {
			top = x
		}
		if top-lo < 0.02*hi {
			break
		}
		if best == 0 {
			x = top / 2 // nothing sustained yet: halve
			if x < hi/16 {
				break
			}
		} else {
			x = (lo + top) / 2
		}
	}
	return best, trials
}

// errGaveUp fails the requests of a trial that can no longer be sustained.
var errGaveUp = errors.New("not sent: the run was already not sustained")

// trialRun runs do open loop at rate for d, but stops sending once more
// than 1% of the requests took longer than maxSustainedP99 on their own:
// the run can no longer be sustained, and a backlog of seconds (a run
// well beyond capacity took three times its length) would only slow the
// search and the runs after it.
func trialRun(rate float64, d time.Duration, do request) result {
	var slow atomic.Int64
	limit := int64(rate*d.Seconds()/100) + 1
	return openLoop(rate, d, 4096, func(w, i int) error {
		if slow.Load() > limit {
			return errGaveUp
		}
		start := time.Now()
		err := do(w, i)
		if time.Since(start) > maxSustainedP99 {
			slow.Add(1)
		}
		return err
	})
}
