package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// limiterPair is a connLimiter on loopback and a way to open client
// connections to it and take the server side of each.
type limiterPair struct {
	t *testing.T
	l *connLimiter
}

func newLimiterPair(t *testing.T, max int) *limiterPair {
	t.Helper()
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := newConnLimiter(tcp, max)
	t.Cleanup(func() { l.Close() })
	return &limiterPair{t: t, l: l}
}

// open dials the limiter and returns the client side; accepted receives
// the server side once Accept returns it.
func (p *limiterPair) open() (client net.Conn, accepted <-chan *limitedConn) {
	p.t.Helper()
	c, err := net.Dial("tcp", p.l.Addr().String())
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() { c.Close() })
	ch := make(chan *limitedConn, 1)
	go func() {
		s, err := p.l.Accept()
		if err == nil {
			ch <- s.(*limitedConn)
		}
		close(ch)
	}()
	return c, ch
}

func (p *limiterPair) accept() (net.Conn, *limitedConn) {
	p.t.Helper()
	c, ch := p.open()
	select {
	case s := <-ch:
		return c, s
	case <-time.After(5 * time.Second):
		p.t.Fatal("Accept did not return")
		return nil, nil
	}
}

// closedByServer reports whether the server closed c.
func closedByServer(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err := c.Read(make([]byte, 1))
	return err == io.EOF
}

func TestConnLimiterShedsTheLongestWaiting(t *testing.T) {
	for _, tc := range []struct {
		name string
		// state puts the first two connections in their states; the third
		// is then accepted at the limit of 2.
		state    func(l *connLimiter, a, b *limitedConn)
		wantShed int // which of a (0) and b (1) is closed
	}{
		{"both wait for headers: the older goes", func(*connLimiter, *limitedConn, *limitedConn) {}, 0},
		{"the older is being answered: the younger goes", func(l *connLimiter, a, _ *limitedConn) {
			l.connState(a, http.StateActive)
		}, 1},
		{"the older went idle after the younger arrived", func(l *connLimiter, a, _ *limitedConn) {
			l.connState(a, http.StateActive)
			l.connState(a, http.StateIdle)
		}, 1},
		// Waits are ordered by when they began: b's body before a's.
		{"the younger waits for its body since before the older did", func(l *connLimiter, a, b *limitedConn) {
			l.connState(a, http.StateActive)
			l.connState(b, http.StateActive)
			l.waitingOnClient(b)
			l.waitingOnClient(a)
		}, 1},
		{"a body read, then answered", func(l *connLimiter, a, b *limitedConn) {
			l.connState(a, http.StateActive)
			l.waitingOnClient(a)
			l.answering(a)
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newLimiterPair(t, 2)
			ca, a := p.accept()
			cb, b := p.accept()
			tc.state(p.l, a, b)
			_, c := p.accept()
			if c == nil {
				t.Fatal("the third connection was not accepted")
			}
			clients := []net.Conn{ca, cb}
			if !closedByServer(clients[tc.wantShed]) {
				t.Errorf("connection %d was not shed", tc.wantShed)
			}
			if p.l.open != 2 {
				t.Errorf("%d connections counted open, want 2", p.l.open)
			}
		})
	}
}

func TestConnLimiterWaitsWhenAllAreAnswered(t *testing.T) {
	p := newLimiterPair(t, 1)
	_, a := p.accept()
	p.l.connState(a, http.StateActive)
	_, accepted := p.open()
	select {
	case <-accepted:
		t.Fatal("accepted past the limit while the only connection was being answered")
	case <-time.After(100 * time.Millisecond):
	}
	p.l.connState(a, http.StateIdle) // answered: now it may go
	select {
	case c := <-accepted:
		if c == nil {
			t.Fatal("Accept failed")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not accepted once the connection went idle")
	}
	if !a.closed {
		t.Error("the idle connection was not shed")
	}
}

func TestConnLimiterCancelsRequestsOfAShedConnection(t *testing.T) {
	p := newLimiterPair(t, 1)
	_, a := p.accept()
	ctx := connContext(context.Background(), a)
	p.accept() // sheds a
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the shed connection's context was not cancelled")
	}
}

func TestBodyLimit(t *testing.T) {
	huge := bytes.Repeat([]byte("x"), maxBodyBytes+1)
	exact := bytes.Repeat([]byte("y"), maxBodyBytes)
	for _, tc := range []struct {
		name       string
		body       []byte
		chunked    bool // no Content-Length
		budget     int64
		held       int64 // of the budget, taken by others
		wantStatus int
		wantBody   []byte // what the handler reads; nil: not called
	}{
		{"no body", nil, false, 1 << 20, 0, 200, []byte{}},
		{"small form", []byte("Body=hi"), false, 1 << 20, 0, 200, []byte("Body=hi")},
		{"exactly at the limit", exact, false, 1 << 20, 0, 200, exact},
		{"exactly at the limit, chunked", exact, true, 1 << 20, 0, 200, exact},
		{"declared too large", huge, false, 1 << 20, 0, 413, nil},
		{"chunked too large", huge, true, 1 << 20, 0, 413, nil},
		// A webhook's few KiB never wait for the budget...
		{"budget taken by others, small body", []byte("Body=hi"), false, 1 << 20, 1 << 20, 200, []byte("Body=hi")},
		// ...a body past the first 4 KiB does.
		{"budget taken by others, large body", exact, false, 1 << 20, 1 << 20, 503, nil},
		// A body larger than what is left waits for room, then gives up.
		{"budget too small for the body", exact, false, 32 << 10, 0, 503, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []byte
			b := newBodyLimit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, _ = io.ReadAll(r.Body)
				if got == nil {
					got = []byte{}
				}
			}), tc.budget)
			b.wait = 50 * time.Millisecond
			if tc.held > 0 && !b.budget.TryAcquire(tc.held) {
				t.Fatal("cannot take the budget")
			}
			var body io.Reader = http.NoBody
			if tc.body != nil {
				body = bytes.NewReader(tc.body)
			}
			r := httptest.NewRequest("POST", "/webhooks/twilio/sms", body)
			if tc.chunked {
				r.ContentLength = -1
				r.Body = io.NopCloser(body)
			}
			w := httptest.NewRecorder()
			b.ServeHTTP(w, r)
			if w.Code != tc.wantStatus {
				t.Errorf("status %d, want %d", w.Code, tc.wantStatus)
			}
			if !bytes.Equal(got, tc.wantBody) || (got == nil) != (tc.wantBody == nil) {
				t.Errorf("handler read %d bytes (called: %v), want %d (called: %v)", len(got), got != nil, len(tc.wantBody), tc.wantBody != nil)
			}
			if w.Code >= 400 && w.Header().Get("Connection") != "close" && !strings.Contains(tc.name, "budget") {
				t.Errorf("refused without closing the connection")
			}
			// Everything taken is given back.
			if !b.budget.TryAcquire(tc.budget - tc.held) {
				t.Error("the request kept some of the budget")
			}
		})
	}
}

func TestMaxConnsFor(t *testing.T) {
	for _, tc := range []struct {
		name      string
		want, fds int
		wantN     int
		lowered   bool
	}{
		{"default", 0, 20000, defaultMaxConns, false},
		{"default, unknown fd limit", 0, 0, defaultMaxConns, false},
		{"set", 100, 20000, 100, false},
		{"default over a low fd limit", 0, 1024, 1024 - fdReserve, true},
		{"set over the fd limit", 50000, 20000, 20000 - fdReserve, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, lowered := maxConnsFor(tc.want, tc.fds)
			if n != tc.wantN || lowered != tc.lowered {
				t.Errorf("maxConnsFor(%d, %d) = %d, %v; want %d, %v", tc.want, tc.fds, n, lowered, tc.wantN, tc.lowered)
			}
		})
	}
}
