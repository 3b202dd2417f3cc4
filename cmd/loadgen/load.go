package main

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result is what one load run measured.
type result struct {
	ok, failed int
	elapsed    time.Duration
	lat        []time.Duration // of every request, failed ones included; sorted
	// Open loop only: the most requests outstanding at once, and how many
	// were sent more than a millisecond after they were due (the
	// generator itself falling behind).
	peak, late int
	// Requests not sent because the run gave up (errGaveUp, see
	// trialRun); counted as failed too.
	skipped int
}

func (r result) rate() float64 { return float64(r.ok) / r.elapsed.Seconds() }

// pct returns the p-th percentile latency (0 < p < 100) in milliseconds.
func (r result) pct(p float64) float64 {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(float64(len(r.lat))*p/100 + 0.5)
	if i >= len(r.lat) {
		i = len(r.lat) - 1
	}
	return float64(r.lat[i].Microseconds()) / 1000
}

// record counts request i, answered after lat with err, logging the first
// three failures.
func (r *result) record(i int, lat time.Duration, err error) {
	r.lat = append(r.lat, lat)
	switch {
	case errors.Is(err, errGaveUp):
		r.failed++
		r.skipped++
	case err != nil:
		r.failed++
		if r.failed-r.skipped <= 3 {
			logf("request %d: %v", i, err)
		}
	default:
		r.ok++
	}
}

func (r result) String() string {
	return fmt.Sprintf("%d ok, %d failed in %v: %.0f req/s, p50 %.2f ms, p99 %.2f ms, p999 %.2f ms",
		r.ok, r.failed, r.elapsed.Round(time.Millisecond), r.rate(), r.pct(50), r.pct(99), r.pct(99.9))
}

// request does request i on connection (worker) w; it returns an error when
// the answer was not the expected one.
type request func(w, i int) error

// closedLoop runs conns workers, each sending its next request as soon as
// the last one was answered, until n requests were sent (n > 0) or for d.
// Each worker logs its first three failures.
func closedLoop(conns, n int, d time.Duration, do request) result {
	var next atomic.Int64
	var mu sync.Mutex
	var res result
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := range conns {
		wg.Go(func() {
			var mine result
			for {
				i := int(next.Add(1) - 1)
				if n > 0 && i >= n || n <= 0 && time.Now().After(deadline) {
					break
				}
				t := time.Now()
				err := do(w, i)
				mine.record(i, time.Since(t), err)
			}
			mu.Lock()
			res.ok += mine.ok
			res.failed += mine.failed
			res.lat = append(res.lat, mine.lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	slices.Sort(res.lat)
	return res
}

// openLoop starts requests at a fixed rate for d, whether or not earlier
// ones were answered, so a slow server shows up as latency: each latency
// counts from the moment the request was due, not from when it was sent.
// At most maxInFlight requests are outstanding; beyond that they queue
// (and their wait counts).
func openLoop(rate float64, d time.Duration, maxInFlight int, do request) result {
	var mu sync.Mutex
	var res result
	var inFlight atomic.Int64
	sem := make(chan struct{}, maxInFlight)
	n := int(rate * d.Seconds())
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		sem <- struct{}{}
		if time.Since(due) > time.Millisecond {
			res.late++ // only this goroutine writes late
		}
		wg.Go(func() {
			defer func() { <-sem }()
			now := inFlight.Add(1)
			err := do(i%maxInFlight, i)
			inFlight.Add(-1)
			lat := time.Since(due)
			mu.Lock()
			defer mu.Unlock()
			res.peak = max(res.peak, int(now))
			res.record(i, lat, err)
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	slices.Sort(res.lat)
	return res
}
