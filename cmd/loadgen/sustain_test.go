package main

import (
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeRun is an open-loop run against a server that answers capacity
// requests a second in 2 ms each: below it everything is through in time,
// above it the backlog grows through the run and so does latency.
func fakeRun(capacity float64) func(rate float64) result {
	return func(rate float64) result {
		const d, base = 3 * time.Second, 2 * time.Millisecond
		n := int(rate * d.Seconds())
		r := result{ok: n, elapsed: d + base}
		var late time.Duration
		if rate > capacity {
			late = time.Duration(float64(d) * (rate/capacity - 1))
			r.elapsed += late
		}
		for i := range n {
			r.lat = append(r.lat, base+late*time.Duration(i)/time.Duration(n))
		}
		return r
	}
}

// fakeLimit is the highest rate a fakeRun judges sustained: its backlog
// grows linearly, so the median latency is half the last one (see
// sustainedAt).
func fakeLimit(capacity float64) float64 { return capacity * (2/minAchieved - 1) }

func TestSearchSustained(t *testing.T) {
	const hi = 1000.0
	cases := []struct {
		name     string
		capacity float64
		lo, top  float64 // the rate found must lie in [lo, fakeLimit(top)]
	}{
		{"capacity at the closed-loop rate", hi, 0.97 * hi, hi},
		{"capacity above it: never more than tried", 3 * hi, 0.97 * hi, hi},
		{"capacity at 93%", 0.93 * hi, 0.90 * hi, 0.93 * hi},
		{"capacity at 85%", 0.85 * hi, 0.80 * hi, 0.85 * hi},
		{"capacity at 50%", 0.5 * hi, 0.45 * hi, 0.5 * hi},
		// The 80% run fails, so does 40%: halve until one holds.
		{"capacity at 15%", 0.15 * hi, 0.10 * hi, 0.15 * hi},
		{"nothing sustained", 0, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, trials := searchSustained(hi, 5, fakeRun(c.capacity))
			// A run may fall short of its rate a little and still count
			// as sustained.
			if got < c.lo || got > fakeLimit(c.top) {
				t.Errorf("found %.0f/s, want %.0f-%.0f", got, c.lo, fakeLimit(c.top))
			}
			if len(trials) > 5 {
				t.Errorf("%d runs, want at most 5", len(trials))
			}
			tried := got == 0
			for _, tr := range trials {
				if tr.rate == got && tr.ok {
					tried = true
				}
				if tr.ok != (tr.rate <= fakeLimit(c.capacity)) {
					t.Errorf("run at %.0f/s judged %v against capacity %.0f", tr.rate, tr.ok, c.capacity)
				}
			}
			if !tried {
				t.Errorf("%.0f/s was never tried and sustained: %v", got, trials)
			}
		})
	}
}

func TestSustainedAt(t *testing.T) {
	run := func(ok, failed int, elapsed, lat time.Duration) result {
		r := result{ok: ok, failed: failed, elapsed: elapsed}
		for range ok + failed {
			r.lat = append(r.lat, lat)
		}
		return r
	}
	cases := []struct {
		name string
		r    result
		rate float64
		want bool
	}{
		{"all through, fast", run(3000, 0, 3*time.Second, time.Millisecond), 1000, true},
		{"tail of 2%", run(3000, 0, 3060*time.Millisecond, time.Millisecond), 1000, true},
		{"tail of 3%: falling behind", run(3000, 0, 3090*time.Millisecond, time.Millisecond), 1000, false},
		// 200 ms for every answer, the last one too: the server keeps up.
		{"steady latency, 1 s run", run(1000, 0, 1200*time.Millisecond, 200*time.Millisecond), 1000, true},
		{"p99 over the bound", run(3000, 0, 3*time.Second, 300*time.Millisecond), 1000, false},
		{"a failure", run(2999, 1, 3*time.Second, time.Millisecond), 1000, false},
		{"nothing answered", run(0, 0, 3*time.Second, 0), 1000, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := sustainedAt(c.r, c.rate); got != c.want {
				t.Errorf("sustainedAt = %v, want %v", got, c.want)
			}
		})
	}
}

// TestOpenLoopPeak: requests that take longer than the gap between them
// overlap, and the peak in flight counts it.
func TestOpenLoopPeak(t *testing.T) {
	r := openLoop(200, 250*time.Millisecond, 64, func(_, _ int) error {
		time.Sleep(40 * time.Millisecond)
		return nil
	})
	// 200/s for 40 ms each: about 8 at once.
	if r.ok != 50 || r.peak < 4 || r.peak > 20 {
		t.Errorf("%v, peak %d in flight; want 50 ok and about 8 in flight", r, r.peak)
	}
}

func TestParseMetrics(t *testing.T) {
	page := `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 17
cita_identity_stretches_total 1234
cita_admission_wait_seconds_bucket{le="0.5"} 3
cita_admission_wait_seconds_bucket{le="+Inf"} 5
cita_webhook_requests_total{channel="sms",class="2xx"} 10 1700000000000
cita_webhook_requests_total{channel="odd } \"label",class="5xx"} 2
process_cpu_seconds_total 1.5e+01
`
	got, err := parseMetrics(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"go_goroutines": 17, "cita_identity_stretches_total": 1234, "cita_admission_wait_seconds_bucket": 8,
		"cita_webhook_requests_total": 12, "process_cpu_seconds_total": 15,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if _, ok := got["cita_admission_queue_length"]; ok || len(got) != len(want) {
		t.Errorf("parsed %v", got)
	}
	for _, bad := range []string{"x{a=\"1\" 2\n", "x\n", "x abc\n"} {
		if _, err := parseMetrics(strings.NewReader(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestParseStatCPU(t *testing.T) {
	cases := []struct {
		name, stat string
		want       time.Duration
	}{
		{"plain", "1234 (bot) S 1 2 3 4 5 6 7 8 9 10 150 50 0 0 20 0 8 0 100 0 0", 2 * time.Second},
		{"name with spaces and parentheses", "99 (a (b) c) R 1 2 3 4 5 6 7 8 9 10 1 2 0 0", 30 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseStatCPU(c.stat)
			if err != nil || got != c.want {
				t.Errorf("parseStatCPU = %v, %v; want %v", got, err, c.want)
			}
		})
	}
	if _, err := parseStatCPU("1 (x) S 1 2"); err == nil {
		t.Error("short line parsed")
	}
	// This process's own line is readable and has used some CPU.
	if got, err := procCPU("self"); err != nil || got <= 0 || math.IsNaN(got.Seconds()) {
		t.Errorf("procCPU(self) = %v, %v", got, err)
	}
}

// TestTrialRunGivesUp: once more than 1% of a trial's requests were slow,
// the rest are not sent, and the trial is not sustained.
func TestTrialRunGivesUp(t *testing.T) {
	var sent atomic.Int64
	r := trialRun(100, time.Second, func(_, i int) error {
		sent.Add(1)
		if i >= 10 {
			time.Sleep(maxSustainedP99 + 10*time.Millisecond)
		}
		return nil
	})
	if n := sent.Load(); n >= 60 {
		t.Errorf("%d of 100 requests sent; want the trial to stop soon after the first slow ones", n)
	}
	if r.ok+r.failed != 100 || r.skipped == 0 || r.skipped != r.failed || sustainedAt(r, 100) {
		t.Errorf("%v (%d not sent) judged sustained, or requests missing", r, r.skipped)
	}
}
