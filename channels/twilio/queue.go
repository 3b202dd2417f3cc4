package twilio

import (
	"context"
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
	name     string // the channel's, for logs
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

	// stop is closed when a shutdown's deadline passes: workers then stop
	// retrying and leave the jobs still queued undone.
	stop     chan struct{}
	stopOnce sync.Once
}

// laneSize bounds each worker's backlog.
const laneSize = 256

func newQueue(name string, workers, attempts int, backoff time.Duration, log *slog.Logger, attempt func(outcome string, retry bool)) *queue {
	q := &queue{name: name, lanes: make([]chan job, workers), attempts: attempts, backoff: backoff, log: log, attempt: attempt, stop: make(chan struct{})}
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
		q.log.Warn(q.name+": job dropped, shutting down", "job", j.kind)
		return false
	}
	select {
	case lane <- j:
		q.pending++
		return true
	default:
		q.log.Error(q.name+": job dropped, queue full", "job", j.kind)
		return false
	}
}

func (q *queue) work(lane chan job) {
	defer q.workers.Done()
	for j := range lane {
		select {
		case <-q.stop: // past the shutdown deadline: counted as left, not run
		default:
			q.do(j)
		}
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
			q.log.Error(q.name+": twilio call failed", "job", j.kind, "status", Status(err), "outcome", out, "attempts", attempt)
			return
		}
		q.log.Warn(q.name+": twilio call failed, retrying", "job", j.kind, "status", Status(err), "outcome", out, "attempt", attempt, "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-q.stop:
			t.Stop()
			return // shutting down: Shutdown counts this job as left
		}
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
	q.refuse()
	q.workers.Wait()
}

// refuse makes add refuse new jobs and lets the workers end once their
// lanes are empty.
func (q *queue) refuse() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.closed = true
	for _, l := range q.lanes {
		close(l)
	}
}

// shutdown refuses new jobs and works on the queued ones until they are
// done or ctx is done. It returns how many jobs were left queued or
// running then: a running Twilio call cannot be cancelled (twilio-go takes
// no context), so it is abandoned, not waited for.
func (q *queue) shutdown(ctx context.Context) (left int) {
	q.refuse()
	done := make(chan struct{})
	go func() {
		q.workers.Wait()
		close(done)
	}()
	select {
	case <-done:
		return 0
	case <-ctx.Done():
	}
	q.mu.Lock()
	left = q.pending
	q.mu.Unlock()
	q.stopOnce.Do(func() { close(q.stop) })
	return left
}

// Shutdown is Close bounded by ctx, whatever Twilio does meanwhile: it
// stops taking messages (those still waiting for their sender's stretch
// are dropped and counted in the log), then stops taking new Twilio calls
// and works on the queued ones until they are done or ctx is done. It
// returns how many calls were left undone (queued, or running and
// abandoned), for the caller to log: a count, never what they were. Call
// it after the HTTP server has shut down.
func (ch *Channel) Shutdown(ctx context.Context) (left int) {
	unanswered := make(chan int, 1)
	go func() { unanswered <- ch.inbox.close() }()
	select {
	case n := <-unanswered:
		if n > 0 {
			ch.c.Log.Warn(ch.c.Kind.Name+": messages left unanswered at shutdown", "count", n)
		}
	case <-ctx.Done():
		ch.c.Log.Warn(ch.c.Kind.Name + ": messages still being answered at shutdown, left")
	}
	return ch.queue.shutdown(ctx)
}
