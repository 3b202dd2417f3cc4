package storage

import (
	"errors"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// group is a group commit for Insert: a booking that arrives while another
// commit is being written waits for it, and then every booking that
// gathered meanwhile commits in one transaction, with one fsync. Unlike
// bolt's Batch nothing waits for a timer: bolt's Batch holds every group
// open for MaxBatchDelay (10 ms), so 64 concurrent bookers committed at
// most 64 per ~11 ms however fast the disk, and a booking at low load
// paid the 10 ms too. Here a lone booking commits at once, and under load
// the group is exactly what queued during the previous fsync.
type group struct {
	mu      sync.Mutex
	busy    bool // a leader is committing
	pending []*groupCall
}

type groupCall struct {
	fn   func(*bolt.Tx) error // idempotent; outcomes return nil (see Insert)
	solo func(*bolt.Tx) error // fn alone, returning its outcome: rolls back a booking that did not happen
	done chan error           // the result, or errLead: commit the next group
}

// errLead tells a waiting call that it commits the next group.
var errLead = errors.New("lead the next group")

// grouped runs c's transaction, alone or with others, and returns its result.
func (s *Store) grouped(fn, solo func(*bolt.Tx) error) error {
	c := &groupCall{fn: fn, solo: solo, done: make(chan error, 1)}
	g := &s.group
	g.mu.Lock()
	g.pending = append(g.pending, c)
	if g.busy {
		g.mu.Unlock()
		if err := <-c.done; err != errLead {
			return err
		}
		g.mu.Lock() // leading now: busy is still set
	} else {
		g.busy = true
	}
	calls := g.pending
	g.pending = nil
	g.mu.Unlock()

	s.writeGroup(calls)

	// Hand over: the first call that queued during this commit leads the
	// next group, so no caller waits on commits that are not its own.
	g.mu.Lock()
	if len(g.pending) > 0 {
		next := g.pending[0]
		g.mu.Unlock()
		next.done <- errLead
	} else {
		g.busy = false
		g.mu.Unlock()
	}
	return <-c.done
}

// writeGroup commits calls in one transaction and tells each its result.
// Like bolt's Batch, if one call's fn fails the transaction rolls back, the
// others commit again without it, and it runs alone to get its own error.
func (s *Store) writeGroup(calls []*groupCall) {
	if len(calls) == 1 {
		calls[0].done <- s.update(calls[0].solo)
		return
	}
	failed := -1
	err := s.update(func(tx *bolt.Tx) error {
		for i, c := range calls {
			if err := c.fn(tx); err != nil {
				failed = i
				return err
			}
		}
		return nil
	})
	if err == nil || failed < 0 {
		for _, c := range calls {
			c.done <- err
		}
		return
	}
	bad := calls[failed]
	rest := append(calls[:failed:failed], calls[failed+1:]...)
	if len(rest) > 0 {
		s.writeGroup(rest)
	}
	bad.done <- s.update(bad.solo)
}
