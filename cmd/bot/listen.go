package main

import (
	"bytes"
	"container/list"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/semaphore"
)

// The limits that keep `bot serve` answering while hostile clients hold
// connections open or send slowly. README "Limits" lists them for operators.
const (
	// defaultMaxConns bounds open connections when CITA_MAX_CONNS is unset
	// (lowered to fit the file descriptor limit, see maxConnsFor).
	defaultMaxConns = 4096
	// fdReserve is kept free of client connections for the database,
	// provider calls and the metrics listener.
	fdReserve = 256
	// headerTimeout bounds the wait for a request's headers.
	headerTimeout = 5 * time.Second
	// readTimeout bounds the wait for a whole request, headers and body.
	readTimeout  = 10 * time.Second
	writeTimeout = 20 * time.Second
	idleTimeout  = 60 * time.Second
	// maxHeaderBytes: net/http reads up to 4 KiB beyond it, so a request's
	// headers take at most 16 KiB. A body takes at most maxBodyBytes, the
	// SMS webhook's own limit.
	maxHeaderBytes = 12 << 10
	maxBodyBytes   = 64 << 10
	// defaultBodyBudgetMiB bounds the request bodies held in memory at once,
	// over all connections (CITA_BODY_BUDGET_MIB).
	defaultBodyBudgetMiB = 16
	// budgetWait is how long a body waits for room in the budget before
	// the request is refused with 503.
	budgetWait = 5 * time.Second
	// freeChunk is the buffer a body is first read into, not charged to
	// the budget: the connection limit bounds these (4096 × 4 KiB =
	// 16 MiB), so a webhook's body, a few KiB, does not wait behind slow
	// bodies for room in the budget. Beyond it the buffer doubles as the
	// body arrives, each growth charged to the budget first.
	freeChunk = 4 << 10
)

var (
	connsOpen = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "cita_http_connections_open",
		Help: "Client connections open on the public listener.",
	})
	connsShed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "cita_http_connections_shed_total",
		Help: "Connections closed to make room for a new one while at the connection limit: each had waited longest for its client.",
	})
	bodyRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cita_http_bodies_refused_total",
		Help: "Requests refused before their handler by reason: too_large (over the body limit) or busy (no room in the body budget in time).",
	}, []string{"reason"})
)

// limitCollectors are the metrics of this file, for the registry.
func limitCollectors() []prometheus.Collector {
	bodyRefused.WithLabelValues("too_large")
	bodyRefused.WithLabelValues("busy")
	return []prometheus.Collector{connsOpen, connsShed, bodyRefused}
}

// connLimiter is a listener that keeps at most max connections open.
//
// A plain limiting listener stops accepting at the limit, so a few
// thousand clients that send their headers a byte at a time would keep
// everyone else, /healthz included, waiting in the kernel's queue until
// the header timeout frees a slot. Instead, at the limit, connLimiter
// accepts the newcomer and closes the connection that has waited longest
// on its client: for its headers, its body, or its next request. A
// request being answered is never closed. Hostile clients then only ever
// push each other out, and an honest client, which sends its request at
// once, is answered before it could become the oldest.
type connLimiter struct {
	net.Listener
	max int

	mu      sync.Mutex
	freed   *sync.Cond // a connection closed or began waiting on its client
	open    int
	waiting list.List // of *limitedConn waiting on their client, longest first
	closing bool
}

func newConnLimiter(l net.Listener, max int) *connLimiter {
	cl := &connLimiter{Listener: l, max: max}
	cl.freed = sync.NewCond(&cl.mu)
	return cl
}

// limitedConn is one connection of a connLimiter.
type limitedConn struct {
	net.Conn
	l      *connLimiter
	elem   *list.Element // in l.waiting while waiting on the client
	closed bool
	// cancel ends the context of the connection's requests when it is
	// closed, so a request waiting for body budget on a connection shed
	// meanwhile stops waiting at once.
	cancel context.CancelFunc
}

func (l *connLimiter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	for l.open >= l.max && !l.closing {
		e := l.waiting.Front()
		if e == nil {
			// Every connection is being answered: wait for one to end or
			// to start waiting on its client.
			l.freed.Wait()
			continue
		}
		victim := e.Value.(*limitedConn)
		l.forget(victim)
		l.mu.Unlock()
		victim.Conn.Close()
		connsShed.Inc()
		l.mu.Lock()
	}
	if l.closing {
		l.mu.Unlock()
		c.Close()
		return nil, net.ErrClosed
	}
	lc := &limitedConn{Conn: c, l: l}
	l.open++
	connsOpen.Set(float64(l.open))
	lc.elem = l.waiting.PushBack(lc)
	l.mu.Unlock()
	return lc, nil
}

// Close stops accepting; an Accept waiting for room returns.
func (l *connLimiter) Close() error {
	err := l.Listener.Close()
	l.mu.Lock()
	l.closing = true
	l.freed.Broadcast()
	l.mu.Unlock()
	return err
}

// forget takes c out of the count and the waiting list (l.mu held).
func (l *connLimiter) forget(c *limitedConn) {
	if c.closed {
		return
	}
	c.closed = true
	if c.cancel != nil {
		c.cancel()
	}
	if c.elem != nil {
		l.waiting.Remove(c.elem)
		c.elem = nil
	}
	l.open--
	connsOpen.Set(float64(l.open))
	l.freed.Broadcast()
}

// waitingOnClient puts c at the end of the waiting list: from now on it
// may be closed to make room.
func (l *connLimiter) waitingOnClient(c *limitedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.closed {
		return
	}
	if c.elem != nil {
		l.waiting.Remove(c.elem)
	}
	c.elem = l.waiting.PushBack(c)
	l.freed.Broadcast()
}

// answering takes c off the waiting list: its request is being answered.
func (l *connLimiter) answering(c *limitedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.elem != nil {
		l.waiting.Remove(c.elem)
		c.elem = nil
	}
}

func (c *limitedConn) Close() error {
	c.l.mu.Lock()
	c.l.forget(c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}

// connState is the server's ConnState hook. A connection waits on its
// client when new and when idle between requests; once its headers are in
// it is being answered (bodyLimit puts it back on the list while it reads
// the body).
func (l *connLimiter) connState(c net.Conn, s http.ConnState) {
	lc, ok := c.(*limitedConn)
	if !ok {
		return
	}
	switch s {
	case http.StateActive, http.StateHijacked:
		l.answering(lc)
	case http.StateIdle:
		l.waitingOnClient(lc)
	}
}

type connKey struct{}

// connContext is the server's ConnContext hook: it lets bodyLimit find
// the request's connection.
func connContext(ctx context.Context, c net.Conn) context.Context {
	lc, ok := c.(*limitedConn)
	if !ok {
		return ctx
	}
	ctx, cancel := context.WithCancel(context.WithValue(ctx, connKey{}, lc))
	lc.l.mu.Lock()
	defer lc.l.mu.Unlock()
	if lc.closed {
		cancel()
	} else {
		lc.cancel = cancel
	}
	return ctx
}

// bodyLimit reads every request body before the handler runs: at most
// maxBodyBytes of it; the first freeChunk at once, the rest only within a
// budget of bytes shared by all requests. A body that arrives slowly
// therefore holds only about the bytes it has sent, and the bodies in
// memory at once never exceed the connection limit's first chunks plus
// the budget, whatever their number: the rest wait in the kernel's socket
// buffers. This covers the SMS webhook, which must read the whole body
// before it can check the signature.
type bodyLimit struct {
	next   http.Handler
	budget *semaphore.Weighted
	wait   time.Duration // for room in the budget
}

func newBodyLimit(next http.Handler, budgetBytes int64) *bodyLimit {
	return &bodyLimit{next: next, budget: semaphore.NewWeighted(budgetBytes), wait: budgetWait}
}

var (
	errTooLarge = errors.New("request body too large")
	errBusy     = errors.New("no room for the request body")
)

func (b *bodyLimit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		b.next.ServeHTTP(w, r)
		return
	}
	if r.ContentLength > maxBodyBytes {
		refuse(w, http.StatusRequestEntityTooLarge, "too_large")
		return
	}
	lc, _ := r.Context().Value(connKey{}).(*limitedConn)
	if lc != nil {
		lc.l.waitingOnClient(lc)
	}
	body, held, err := b.read(r)
	if lc != nil {
		lc.l.answering(lc)
	}
	defer b.budget.Release(held)
	switch {
	case errors.Is(err, errTooLarge):
		refuse(w, http.StatusRequestEntityTooLarge, "too_large")
		return
	case errors.Is(err, errBusy):
		w.Header().Set("Retry-After", "1")
		refuse(w, http.StatusServiceUnavailable, "busy")
		return
	case err != nil:
		// The client went away, was too slow, or was closed to make room:
		// nobody reads this answer.
		w.Header().Set("Connection", "close")
		http.Error(w, "cannot read request", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.TransferEncoding = nil
	// Handlers copy what they keep; the raw body (a webhook's holds the
	// resident's number) is wiped rather than left for the garbage
	// collector, which frees memory without overwriting it.
	defer clear(body)
	b.next.ServeHTTP(w, r)
}

// read reads r's body into a buffer that grows as the body arrives, each
// growth past freeChunk charged to the budget before it is made. held is
// what was charged, to release when the request is done.
func (b *bodyLimit) read(r *http.Request) (body []byte, held int64, err error) {
	ctx, cancel := context.WithTimeout(r.Context(), b.wait)
	defer cancel()
	grow := func(buf []byte, want int) ([]byte, error) {
		if err := b.budget.Acquire(ctx, int64(want-cap(buf))); err != nil {
			return buf, errBusy
		}
		held += int64(want - cap(buf))
		return append(make([]byte, 0, want), buf...), nil
	}
	// A body of known length is read to that length (net/http ends it
	// there); one of unknown length to one byte past the limit, which
	// tells a body that is too large from one exactly at it.
	limit := maxBodyBytes + 1
	if r.ContentLength > 0 {
		limit = int(r.ContentLength)
	}
	buf := make([]byte, 0, min(freeChunk, limit))
	for {
		if len(buf) == cap(buf) {
			if cap(buf) >= limit {
				break
			}
			if buf, err = grow(buf, min(2*cap(buf), limit)); err != nil {
				return nil, held, err
			}
		}
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, held, err
		}
	}
	if len(buf) > maxBodyBytes {
		return nil, held, errTooLarge
	}
	return buf, held, nil
}

// refuse answers a request bodyLimit will not hand on, and closes the
// connection: the unread body must not be taken for the next request.
func refuse(w http.ResponseWriter, status int, reason string) {
	bodyRefused.WithLabelValues(reason).Inc()
	w.Header().Set("Connection", "close")
	http.Error(w, strings.ToLower(http.StatusText(status)), status)
}

// hsts tells browsers to use https only, when the public URL is https
// (the TLS proxy in front terminates it; browsers ignore the header on
// plain http). No includeSubDomains: the city's other hosts are not ours
// to decide for.
func hsts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		next.ServeHTTP(w, r)
	})
}

// maxConnsFor returns the connection limit: want when set, else the
// default, either lowered to leave fdReserve descriptors free under the
// soft limit fds (0: unknown).
func maxConnsFor(want, fds int) (n int, lowered bool) {
	n = want
	if n == 0 {
		n = defaultMaxConns
	}
	if fds > 0 && n > fds-fdReserve {
		return max(fds-fdReserve, 16), true
	}
	return n, false
}
