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

// restReplies stands between the bot and the Twilio fake and notes every
// message the bot sends through the REST Messages endpoint at once (not a
// scheduled reminder): since issue 12, a new resident's webhook is
// acknowledged with empty TwiML and their reply follows that way. It
// keeps, per number, only that a reply was sent; numbers are never
// logged.
type restReplies struct {
	URL string
	srv *httptest.Server

	mu      sync.Mutex
	replied map[string]chan struct{} // closed once a reply to the number was sent
	sent    map[string]bool
}

// newRestReplies starts a proxy to the Twilio fake at fakeURL; point the
// bot's TWILIO_API_BASE at its URL. Close it when done.
func newRestReplies(fakeURL string) (*restReplies, error) {
	u, err := url.Parse(fakeURL)
	if err != nil {
		return nil, err
	}
	rr := &restReplies{replied: map[string]chan struct{}{}, sent: map[string]bool{}}
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
			rr.note(form.Get("To"))
		}
	}))
	rr.URL = rr.srv.URL
	return rr, nil
}

// Close stops the proxy.
func (rr *restReplies) Close() { rr.srv.Close() }

func (rr *restReplies) note(to string) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if rr.sent[to] {
		return
	}
	rr.sent[to] = true
	if ch, ok := rr.replied[to]; ok {
		close(ch)
	}
}

// got returns a channel closed once a reply to number has been sent.
func (rr *restReplies) got(number string) <-chan struct{} {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	ch, ok := rr.replied[number]
	if !ok {
		ch = make(chan struct{})
		rr.replied[number] = ch
		if rr.sent[number] {
			close(ch)
		}
	}
	return ch
}

// has tells whether a reply to number has been sent.
func (rr *restReplies) has(number string) bool {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return rr.sent[number]
}

// wait waits up to d for a reply to number.
func (rr *restReplies) wait(number string, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	select {
	case <-rr.got(number):
		return true
	case <-ctx.Done():
		return false
	}
}

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
