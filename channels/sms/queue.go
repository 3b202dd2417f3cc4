package sms

import (
	"hash/fnv"
	"log/slog"
	"sync"
	"time"
)

// job is one piece of work at Twilio, run off the request path. run is one
// attempt and must be safe to repeat after a failure: it may have half
// happened. Jobs with the same key (the resident's number) run one at a
// time in the order queued, so a cancel never overtakes the schedule
// before it.
type job struct {
	kind string // what to log: never the number
	key  string
	run  func() error
}

// queue runs jobs on a fixed set of workers, retrying those that fail for
// a reason that may pass (429, 5xx, timeout) with exponential backoff. Its
// lanes are bounded: when one is full the job is dropped and logged, so a
// Twilio outage never holds up a webhook.
type queue struct {
	lanes    []chan job
	attempts int
	backoff  time.Duration
	log      *slog.Logger
	// attempt is told of every attempt: its outcome and whether the job
	// will be tried again (never nil).
	attempt func(outcome string, retry bool)
	workers sync.WaitGroup

	mu      sync.Mutex
	idle    *sync.Cond
	pending int
	closed  bool
}

// laneSize bounds each worker's backlog.
const laneSize = 256

func newQueue(workers, attempts int, backoff time.Duration, log *slog.Logger, attempt func(outcome string, retry bool)) *queue {
	q := &queue{lanes: make([]chan job, workers), attempts: attempts, backoff: backoff, log: log, attempt: attempt}
	q.idle = sync.NewCond(&q.mu)
	for i := range q.lanes {
		q.lanes[i] = make(chan job, laneSize)
		q.workers.Add(1)
		go q.work(q.lanes[i])
	}
	return q
}

// add queues j without waiting. It reports false if the queue is closed
// or j's lane is full.
func (q *queue) add(j job) bool {
	h := fnv.New32a()
	h.Write([]byte(j.key))
	lane := q.lanes[int(h.Sum32()%uint32(len(q.lanes)))]
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		q.log.Warn("sms: job dropped, shutting down", "job", j.kind)
		return false
	}
	select {
	case lane <- j:
		q.pending++
		return true
	default:
		q.log.Error("sms: job dropped, queue full", "job", j.kind)
		return false
	}
}

func (q *queue) work(lane chan job) {
	defer q.workers.Done()
	for j := range lane {
		q.do(j)
		q.mu.Lock()
		q.pending--
		if q.pending == 0 {
			q.idle.Broadcast()
		}
		q.mu.Unlock()
	}
}

func (q *queue) do(j job) {
	wait := q.backoff
	for attempt := 1; ; attempt++ {
		err := j.run()
		retry := err != nil && retryable(err) && attempt < q.attempts
		out := outcome(err)
		q.attempt(out, retry)
		if err == nil {
			return
		}
		if !retry {
			// Given up: logged, never silent; the kind and status only,
			// since the SDK's error text may hold the number (P3).
			q.log.Error("sms: twilio call failed", "job", j.kind, "status", Status(err), "outcome", out, "attempts", attempt)
			return
		}
		q.log.Warn("sms: twilio call failed, retrying", "job", j.kind, "status", Status(err), "outcome", out, "attempt", attempt, "wait", wait)
		time.Sleep(wait)
		wait *= 2
	}
}

// drain waits until every queued job has finished.
func (q *queue) drain() {
	q.mu.Lock()
	for q.pending > 0 {
		q.idle.Wait()
	}
	q.mu.Unlock()
}

// close refuses new jobs, finishes the queued ones and stops the workers.
func (q *queue) close() {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.closed = true
	for _, l := range q.lanes {
		close(l)
	}
	q.mu.Unlock()
	q.workers.Wait()
}
