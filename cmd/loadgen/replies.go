package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// restReplies stands between the bot and the Twilio fake and counts the
// messages the bot sends to each number through the REST Messages
// endpoint at once (not scheduled reminders): since issue 12, a new
// resident's webhook is acknowledged with empty TwiML and their reply
// follows that way. It keeps, per number, only how many were sent;
// numbers are never logged.
type restReplies struct {
	URL string
	srv *httptest.Server

	mu   sync.Mutex
	nums map[string]*replyCount
}

// replyCount is the replies sent to one number so far; more is closed
// (and replaced) whenever one more is sent.
type replyCount struct {
	n    int
	more chan struct{}
	last string // the text of the newest
}

// newRestReplies starts a proxy to the Twilio fake at fakeURL; point the
// bot's TWILIO_API_BASE at its URL. Close it when done.
func newRestReplies(fakeURL string) (*restReplies, error) {
	u, err := url.Parse(fakeURL)
	if err != nil {
		return nil, err
	}
	rr := &restReplies{nums: map[string]*replyCount{}}
	proxy := httputil.NewSingleHostReverseProxy(u)
	rr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/Messages.json") {
			proxy.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		sw := &statusWriter{ResponseWriter: w}
		proxy.ServeHTTP(sw, r)
		if sw.status/100 == 2 && form.Get("ScheduleType") == "" {
			rr.note(form.Get("To"), form.Get("Body"))
		}
	}))
	rr.URL = rr.srv.URL
	return rr, nil
}

// Close stops the proxy.
func (rr *restReplies) Close() { rr.srv.Close() }

// state returns number's count; the caller holds rr.mu.
func (rr *restReplies) state(number string) *replyCount {
	c, ok := rr.nums[number]
	if !ok {
		c = &replyCount{more: make(chan struct{})}
		rr.nums[number] = c
	}
	return c
}

func (rr *restReplies) note(to, body string) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	c := rr.state(to)
	c.n++
	c.last = body
	close(c.more)
	c.more = make(chan struct{})
}

// count returns how many replies were sent to number so far.
func (rr *restReplies) count(number string) int {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if c, ok := rr.nums[number]; ok {
		return c.n
	}
	return 0
}

// last returns the text of the newest reply sent to number.
func (rr *restReplies) last(number string) string {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return rr.state(number).last
}

// has tells whether a reply to number has been sent.
func (rr *restReplies) has(number string) bool { return rr.count(number) > 0 }

// waitPast waits up to d for more than n replies to number.
func (rr *restReplies) waitPast(number string, n int, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		rr.mu.Lock()
		c := rr.state(number)
		got, more := c.n, c.more
		rr.mu.Unlock()
		if got > n {
			return true
		}
		select {
		case <-more:
		case <-ctx.Done():
			return false
		}
	}
}

// wait waits up to d for a first reply to number.
func (rr *restReplies) wait(number string, d time.Duration) bool { return rr.waitPast(number, 0, d) }

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}
