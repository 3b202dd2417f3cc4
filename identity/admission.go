package identity

import (
	"container/list"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// ErrBusy is what errors.Is finds in an error from Hasher.Admit or
// Hasher.Check when the wait for a stretch is longer than the bound: the
// resident is to be told to write again later, and nothing was done.
var ErrBusy = errors.New("identity: too many residents waiting")

// BusyError turns a newcomer away; RetryAfter is how long the residents
// already waiting are estimated to take, so when to write again.
type BusyError struct{ RetryAfter time.Duration }

func (e *BusyError) Error() string {
	return fmt.Sprintf("identity: busy, try again in %v", e.RetryAfter.Round(time.Second))
}

// Is makes errors.Is(err, ErrBusy) true.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// DefaultMaxWait is the longest estimated wait for a stretch a newcomer is
// queued for: about ten minutes of stretching. Beyond it, they are told
// the line is busy.
const DefaultMaxWait = 10 * time.Minute

// DefaultGuess is the stretch time an Admission assumes until it has
// measured one: a little over OWASP settings on one core.
const DefaultGuess = 50 * time.Millisecond

// Observer is told what an Admission does, for metrics. Any field may be
// nil. None carries anything about a resident. Queue is called with the
// Admission's lock held: it must be quick and must not call back.
type Observer struct {
	Queue   func(waiting int)     // residents (or tools) waiting for a stretch
	Waited  func(d time.Duration) // time a queued piece of work waited before it started
	Busy    func()                // a newcomer turned away
	Stretch func()                // one argon2 stretch run
}

// AdmissionConfig sets up an Admission.
type AdmissionConfig struct {
	// Workers is how many stretches run at once (each holds its memory);
	// <= 0 means one per CPU.
	Workers int
	// MaxWait bounds the estimated wait of a newcomer (Admit); 0 means no
	// bound.
	MaxWait time.Duration
	// Now measures stretch and wait times. Without it the wait is
	// estimated from Guess alone and Observer.Waited is never called.
	Now func() time.Time
	// Guess is the stretch time assumed until one is measured (default
	// DefaultGuess).
	Guess   time.Duration
	Observe Observer
}

// Admission decides who stretches next. It owns the workers, so every
// Hasher built on it (one per key set: see NewHasherWith) shares them, the
// queue and its measured pace: a key rotation keeps the order of the
// residents waiting and the bound.
//
// Two lines wait for a worker. Identities (a clerk at the counter, the
// local chat, tools) goes first and is never turned away; Admit (a
// resident's first message) waits in arrival order behind the residents
// before it, and is turned away at once when the estimated wait is over
// MaxWait. A freed worker takes the next piece of work at once, so during a
// surge the workers never idle.
type Admission struct {
	workers int
	maxWait time.Duration
	now     func() time.Time
	obs     Observer

	mu      sync.Mutex
	running int
	urgent  list.List // of *ticket: Identities, Hash
	fifo    list.List // of *ticket: Admit, in arrival order
	ahead   int       // stretches waiting in both lines
	mean    time.Duration
}

// ticket is one piece of work waiting for, or holding, a worker.
type ticket struct {
	cost    int // stretches
	work    func()
	since   time.Time // queued at (zero without a clock)
	line    *list.List
	elem    *list.Element
	started bool
}

// NewAdmission returns an Admission set up by c.
func NewAdmission(c AdmissionConfig) *Admission {
	if c.Workers <= 0 {
		c.Workers = runtime.NumCPU()
	}
	if c.Guess <= 0 {
		c.Guess = DefaultGuess
	}
	return &Admission{workers: c.Workers, maxWait: max(c.MaxWait, 0), now: c.Now, obs: c.Observe, mean: c.Guess}
}

// Waiting returns how many pieces of work wait for a worker.
func (a *Admission) Waiting() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.urgent.Len() + a.fifo.Len()
}

// Estimate returns the estimated wait of a newcomer now: the stretches
// waiting, at the measured pace, over the workers.
func (a *Admission) Estimate() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.estimateLocked()
}

func (a *Admission) estimateLocked() time.Duration {
	return time.Duration(a.ahead) * a.mean / time.Duration(a.workers)
}

// checkLocked turns a newcomer away if the wait is over the bound.
func (a *Admission) checkLocked() error {
	if a.maxWait <= 0 {
		return nil
	}
	if w := a.estimateLocked(); w > a.maxWait {
		if a.obs.Busy != nil {
			a.obs.Busy()
		}
		return &BusyError{RetryAfter: w}
	}
	return nil
}

func (a *Admission) check() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.checkLocked()
}

// enqueue queues work of cost stretches in the urgent line or at the end
// of the arrival line, and returns its ticket.
func (a *Admission) enqueue(cost int, urgent bool, work func()) *ticket {
	t := &ticket{cost: cost, work: work}
	if a.now != nil {
		t.since = a.now()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	t.line = &a.fifo
	if urgent {
		t.line = &a.urgent
	}
	t.elem = t.line.PushBack(t)
	a.ahead += cost
	a.dispatchLocked()
	a.reportLocked()
	return t
}

// promote moves t, if it still waits in the arrival line, to the urgent
// one: a clerk asking for a resident who is queued is not held behind the
// queue.
func (a *Admission) promote(t *ticket) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if t.started || t.line == &a.urgent {
		return
	}
	t.line.Remove(t.elem)
	t.line = &a.urgent
	t.elem = t.line.PushBack(t)
	a.dispatchLocked()
	a.reportLocked()
}

// withdraw takes t out of its line and reports whether it was still
// waiting (then it will never run).
func (a *Admission) withdraw(t *ticket) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if t.started {
		return false
	}
	t.line.Remove(t.elem)
	a.ahead -= t.cost
	t.started = true // never to start
	a.reportLocked()
	return true
}

// dispatchLocked hands free workers the next work: urgent first, then the
// oldest arrival.
func (a *Admission) dispatchLocked() {
	for a.running < a.workers {
		e := a.urgent.Front()
		if e == nil {
			e = a.fifo.Front()
		}
		if e == nil {
			return
		}
		t := e.Value.(*ticket)
		t.line.Remove(e)
		t.started = true
		a.ahead -= t.cost
		a.running++
		go a.run(t)
	}
}

func (a *Admission) run(t *ticket) {
	if a.now != nil && a.obs.Waited != nil {
		a.obs.Waited(a.now().Sub(t.since))
	}
	defer func() {
		a.mu.Lock()
		a.running--
		a.dispatchLocked()
		a.reportLocked()
		a.mu.Unlock()
	}()
	t.work()
}

func (a *Admission) reportLocked() {
	if a.obs.Queue != nil {
		a.obs.Queue(a.urgent.Len() + a.fifo.Len())
	}
}

// start returns the time a stretch starts, for stretched.
func (a *Admission) start() time.Time {
	if a.now == nil {
		return time.Time{}
	}
	return a.now()
}

// stretched records one stretch begun at start: the pace of the estimate
// follows what stretches take now (other load on the cores included).
func (a *Admission) stretched(start time.Time) {
	if a.obs.Stretch != nil {
		a.obs.Stretch()
	}
	if a.now == nil {
		return
	}
	d := a.now().Sub(start)
	if d <= 0 {
		return
	}
	a.mu.Lock()
	a.mean += (d - a.mean) / 8
	a.mu.Unlock()
}
