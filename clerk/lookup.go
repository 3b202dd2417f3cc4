package clerk

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Phone look-ups (check-in by phone, walk-in with a phone number) are
// limited per clerk to one every lookupEvery, with bursts of lookupBurst.
// A counter checks residents in one at a time: even with a scanner a
// check-in takes half a minute, and a busy office sees a few a minute; a
// clerk retyping a misheard number a few times stays within the burst. A
// script, though, is held to 20 a minute instead of the 57 a second an
// unlimited session managed, and every look-up is in the audit log.
const (
	lookupEvery = 3 * time.Second
	lookupBurst = 10
)

// lookupLimited is what a clerk over the limit reads.
const lookupLimited = "Too many phone look-ups in a row: wait a few seconds, then try again (or use the confirmation code)."

// lookups holds a rate limiter per clerk name: per name, not per session,
// so that signing in again does not refill it.
type lookups struct {
	mu sync.Mutex
	m  map[string]*lookupLimit
}

type lookupLimit struct {
	lim *rate.Limiter
	// refusing: the last look-up was refused; the audit log gets the first
	// refusal of each run, not every one.
	refusing bool
}

func newLookups() *lookups { return &lookups{m: map[string]*lookupLimit{}} }

// allow takes one look-up from name's allowance at now. When it refuses,
// first says whether it is the first refusal since the last allowed one.
func (l *lookups) allow(name string, now time.Time) (ok, first bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ll := l.m[name]
	if ll == nil {
		ll = &lookupLimit{lim: rate.NewLimiter(rate.Every(lookupEvery), lookupBurst)}
		l.m[name] = ll
	}
	if ll.lim.AllowN(now, 1) {
		ll.refusing = false
		return true, false
	}
	first = !ll.refusing
	ll.refusing = true
	return false, first
}

// allowLookup applies the limit to p's next phone look-up at office. Over
// the limit it tells the clerk, audits the first refusal of a run, and
// returns false: no look-up is made.
func (s *server) allowLookup(p *principal, office string) bool {
	ok, first := s.lookups.allow(p.name, s.Now())
	if ok {
		return true
	}
	if first {
		s.audit(p, "phone-lookup-refused "+office+": rate limit", "")
	}
	s.flashError(p, lookupLimited)
	return false
}

// auditLookup records a phone look-up: who, when (the entry's time), at
// which office, and whether it found anything there. Never the number, its
// hash or what was found elsewhere.
func (s *server) auditLookup(p *principal, what, office string, found bool) {
	result := "not-found"
	if found {
		result = "found"
	}
	s.audit(p, what+" "+office+" "+result, "")
}
