package main

import (
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/cita-city/cita/channels/twilio/twiliotest"
)

// Names of the server's metrics the surge reads (issue 12).
const (
	metricGoroutines = "go_goroutines"
	metricStretches  = "cita_identity_stretches_total"
	metricQueue      = "cita_admission_queue_length"
	metricBusy       = "cita_admission_busy_total"
)

// twilioWebhookTimeout is how long Twilio waits for a webhook's answer
// before it gives up on it.
const twilioWebhookTimeout = 15 * time.Second

// surgeConfig is one surge run: new residents, open loop at rate for d,
// production hashing.
type surgeConfig struct {
	rate     float64
	d        time.Duration
	drainCap time.Duration // longest wait after the surge for replies still owed
	after    time.Duration // goroutines are counted this long after the surge ended
	// grace is how long replies still owed once the admission queue is
	// empty may take to arrive through the REST API.
	grace time.Duration
}

// outcome is what one sender of a surge got.
type outcome uint8

const (
	outFailed outcome = iota // no answer within Twilio's limit, or not 200 and TwiML
	outTwiML                 // a reply in the webhook's TwiML: busy (or, before issue 12, the real reply)
	outAcked                 // empty TwiML: the reply is owed through the REST API
)

// surgeReport is what a surge run measured.
type surgeReport struct {
	acks                   result // webhook answer times, from when each was due
	twiml, acked, restLate int    // senders answered in TwiML; acknowledged; of those, replied through REST
	drain                  time.Duration
	queueLeft              float64
	stretches              float64 // during the d of the surge; -1: the server does not count them
	busy                   float64 // -1: not counted
	goroutinesBefore       float64
	goroutinesAfter        float64 // cfg.after after the surge ended
	goroutinesDrained      float64 // once the replies were in, or the drain cap passed
	queueAtAfter           float64
}

// repliedPct is the share of senders who got a reply, in TwiML or through
// the REST API.
func (s surgeReport) repliedPct() float64 {
	n := s.acks.ok + s.acks.failed
	if n == 0 {
		return 0
	}
	return 100 * float64(s.twiml+s.restLate) / float64(n)
}

// surge starts `bot serve` with production hashing under dir, its Twilio
// REST API the fake at twilioURL behind a restReplies of its own, and
// sends it cfg.rate first messages a second from numbers it has never
// seen, for cfg.d. Then it waits, up to cfg.drainCap,
// for the admission queue to empty and the replies owed to arrive, and
// counts the server's goroutines cfg.after after the surge ended.
func surge(bin, dir, twilioURL string, nums []string, cfg surgeConfig) (surgeReport, error) {
	rep := surgeReport{stretches: -1, busy: -1}
	n := int(cfg.rate * cfg.d.Seconds())
	if n > len(nums) {
		return rep, fmt.Errorf("surge: %d senders needed, %d fictional numbers available (shorten it with --surge-duration)", n, len(nums))
	}
	rr, err := newRestReplies(twilioURL)
	if err != nil {
		return rep, err
	}
	defer rr.Close()
	b, err := startBot(bin, filepath.Join(dir, "surge"), rr.URL, true, nil)
	if err != nil {
		return rep, err
	}
	defer b.stop()
	return runSurge(b.base, rr, nums[:n], cfg)
}

// runSurge sends the surge to the server at base, whose replies through
// the REST API rr notes, one first message from each of senders.
func runSurge(base string, rr *restReplies, senders []string, cfg surgeConfig) (surgeReport, error) {
	rep := surgeReport{stretches: -1, busy: -1}
	before, err := scrape(base)
	if err != nil {
		return rep, err
	}
	rep.goroutinesBefore = before[metricGoroutines]

	// Twilio opens connections as it needs them: no pool bound, and it
	// gives up on a webhook after 15 s.
	t := newTarget(base, publicURL, twiliotest.AuthToken, 4096)
	t.hc.Timeout = twilioWebhookTimeout
	nums := senders
	outs := make([]outcome, len(senders))
	var atEnd map[string]float64
	var endErr error
	var endDone sync.WaitGroup
	endDone.Add(1)
	time.AfterFunc(cfg.d, func() { defer endDone.Done(); atEnd, endErr = scrape(base) })
	rep.acks = openLoop(cfg.rate, cfg.d, 1<<14, func(_, i int) error {
		reply, err := t.say(nums[i], greetings[i%len(greetings)])
		switch {
		case err != nil:
			return err
		case reply == "":
			outs[i] = outAcked
		default:
			outs[i] = outTwiML
		}
		return nil
	})
	ended := time.Now()
	endDone.Wait()
	if endErr != nil {
		return rep, fmt.Errorf("metrics at the end of the surge: %w", endErr)
	}
	if s0, ok := before[metricStretches]; ok {
		rep.stretches = atEnd[metricStretches] - s0
	}
	t.hc.CloseIdleConnections()

	// Count goroutines cfg.after after the surge, while waiting for the
	// queue to empty and the replies owed to arrive.
	var after map[string]float64
	var afterErr error
	var afterDone sync.WaitGroup
	afterDone.Add(1)
	time.AfterFunc(time.Until(ended.Add(cfg.after)), func() { defer afterDone.Done(); after, afterErr = scrape(base) })
	owed := func() int {
		k := 0
		for i, o := range outs {
			if o == outAcked && !rr.has(nums[i]) {
				k++
			}
		}
		return k
	}
	var emptySince time.Time
	for {
		m, err := scrape(base)
		if err != nil {
			return rep, err
		}
		rep.queueLeft = m[metricQueue] // absent before issue 12: nothing queued
		left := owed()
		if rep.queueLeft == 0 && emptySince.IsZero() {
			emptySince = time.Now()
		}
		// Once the queue is empty, a reply still owed can only be on its
		// way through the REST API.
		if left == 0 || !emptySince.IsZero() && time.Since(emptySince) > cfg.grace || time.Since(ended) > cfg.drainCap {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	rep.drain = time.Since(ended)
	afterDone.Wait()
	if afterErr != nil {
		return rep, fmt.Errorf("metrics %v after the surge: %w", cfg.after, afterErr)
	}
	rep.goroutinesAfter, rep.queueAtAfter = after[metricGoroutines], after[metricQueue]
	drained, err := scrape(base)
	if err != nil {
		return rep, err
	}
	rep.goroutinesDrained = drained[metricGoroutines]
	if b0, ok := before[metricBusy]; ok {
		rep.busy = drained[metricBusy] - b0
	}
	for i, o := range outs {
		switch o {
		case outTwiML:
			rep.twiml++
		case outAcked:
			rep.acked++
			if rr.has(nums[i]) {
				rep.restLate++
			}
		}
	}
	return rep, nil
}

// report prints the surge's figures; ceiling is the hash ceiling in
// stretches a second.
func (s surgeReport) report(cfg surgeConfig, ceiling float64) {
	n := s.acks.ok + s.acks.failed
	logf("surge at %.0f/s for %v: webhooks %v; %d answered in TwiML, %d acknowledged of which %d replied through REST, %d unanswered; drain %v, queue left %.0f, load average %.2f",
		cfg.rate, cfg.d, s.acks, s.twiml, s.acked, s.restLate, n-s.twiml-s.acked, s.drain.Round(100*time.Millisecond), s.queueLeft, loadAvg())
	bench("surge_rate", cfg.rate, "msg/s")
	bench("surge_ack_p99_ms", s.acks.pct(99), "ms")
	if s.stretches >= 0 {
		ratio("surge_hash_utilization", s.stretches/cfg.d.Seconds()/ceiling)
	} else {
		fmt.Printf("# surge: the server does not export %s\n", metricStretches)
	}
	bench("surge_replied_pct", s.repliedPct(), "%")
	if s.busy >= 0 {
		bench("surge_busy_pct", 100*s.busy/float64(max(1, n)), "%")
	}
	bench("surge_goroutines_before", s.goroutinesBefore, "count")
	bench("surge_goroutines_after", s.goroutinesAfter, "count")
	bench("surge_goroutines_drained", s.goroutinesDrained, "count")
	if s.queueAtAfter > 0 {
		fmt.Printf("# surge: %.0f residents were still queued %v after the surge\n", s.queueAtAfter, cfg.after)
	}
}
