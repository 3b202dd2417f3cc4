package main

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/sms"
	"github.com/cita-city/cita/channels/twilio/twiliotest"
)

// standIn is a server shaped as issue 12 asks: a signed webhook from a new
// resident is acknowledged at once with empty TwiML and queued; a worker
// "stretches" and sends the reply through Twilio's REST API; every busyEvery-th
// sender is told in TwiML that the line is busy; every loseEvery-th queued
// reply is never sent. It exports the metrics the surge reads.
type standIn struct {
	srv                  *httptest.Server
	queue, stretches     atomic.Int64
	busy                 atomic.Int64
	seq                  atomic.Int64
	busyEvery, loseEvery int64
	jobs                 chan string
	wg                   sync.WaitGroup
}

func newStandIn(t *testing.T, restURL string, busyEvery, loseEvery int64) *standIn {
	s := &standIn{busyEvery: busyEvery, loseEvery: loseEvery, jobs: make(chan string, 10000)}
	s.wg.Go(func() {
		for to := range s.jobs {
			time.Sleep(time.Millisecond) // the stretch
			s.stretches.Add(1)
			form := url.Values{"To": {to}, "Body": {"menu"}, "MessagingServiceSid": {twiliotest.ServiceSID}}
			req, _ := http.NewRequest(http.MethodPost, restURL+"/2010-04-01/Accounts/"+twiliotest.AccountSID+"/Messages.json", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(twiliotest.AccountSID, twiliotest.AuthToken)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
			s.queue.Add(-1)
		}
	})
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+sms.Path, func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.Header.Get("X-Twilio-Signature") != twiliotest.Sign(twiliotest.AuthToken, publicURL+sms.Path, r.PostForm) {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		k := s.seq.Add(1)
		switch {
		case k%s.busyEvery == 0:
			s.busy.Add(1)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Message>busy, write again in an hour</Message></Response>`)
			return
		case k%s.loseEvery == 0: // acknowledged, never answered
		default:
			s.queue.Add(1)
			s.jobs <- r.PostForm.Get("From")
		}
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`)
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "# TYPE go_goroutines gauge\ngo_goroutines 9\n%s %d\n%s %d\n%s %d\n",
			metricStretches, s.stretches.Load(), metricQueue, s.queue.Load(), metricBusy, s.busy.Load())
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(func() { s.srv.Close(); close(s.jobs); s.wg.Wait() })
	return s
}

// TestRunSurge runs a short surge against the stand-in: every sender's
// outcome is counted once, replies through the REST API are seen through
// the proxy before the Twilio fake, and the drain ends when the queue is
// empty and nothing more is owed (or the grace after that passed).
func TestRunSurge(t *testing.T) {
	cases := []struct {
		name                 string
		busyEvery, loseEvery int64
		wantReplied          float64
	}{
		{"every reply sent", 4, 1 << 40, 100},
		{"one in five acknowledged and never answered", 1 << 40, 5, 80},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake := twiliotest.New(time.Now)
			defer fake.Close()
			rr, err := newRestReplies(fake.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer rr.Close()
			s := newStandIn(t, rr.URL, c.busyEvery, c.loseEvery)
			cfg := surgeConfig{rate: 100, d: 500 * time.Millisecond, drainCap: 5 * time.Second, after: 100 * time.Millisecond, grace: 200 * time.Millisecond}
			senders := numbers()[:50]
			start := time.Now()
			rep, err := runSurge(s.srv.URL, rr, senders, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("surge took %v; the drain should end soon after the queue empties", took)
			}
			if rep.acks.ok != 50 || rep.acks.failed != 0 {
				t.Fatalf("webhooks: %v; want 50 answered", rep.acks)
			}
			if got := rep.repliedPct(); math.Abs(got-c.wantReplied) > 0.01 {
				t.Errorf("replied %.1f%%, want %.0f%% (TwiML %d, acknowledged %d, replied through REST %d)", got, c.wantReplied, rep.twiml, rep.acked, rep.restLate)
			}
			if rep.twiml != int(s.busy.Load()) || rep.twiml+rep.acked != 50 {
				t.Errorf("%d answered in TwiML and %d acknowledged; the server turned %d away busy", rep.twiml, rep.acked, s.busy.Load())
			}
			if rep.busy != float64(s.busy.Load()) || rep.stretches <= 0 || rep.stretches > float64(rep.acked) {
				t.Errorf("busy %v (server %d), stretches during the surge %v of %d queued", rep.busy, s.busy.Load(), rep.stretches, rep.acked)
			}
			if rep.goroutinesBefore != 9 || rep.goroutinesAfter != 9 || rep.goroutinesDrained != 9 {
				t.Errorf("goroutines %v, %v, %v; the stand-in exports 9", rep.goroutinesBefore, rep.goroutinesAfter, rep.goroutinesDrained)
			}
		})
	}
}

// TestSurgeOldServer: a server that exports none of issue 12's metrics
// and answers in TwiML is measured too; the missing counters read as
// not counted, not as zero.
func TestSurgeOldServer(t *testing.T) {
	fake := twiliotest.New(time.Now)
	defer fake.Close()
	rr, err := newRestReplies(fake.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			fmt.Fprintln(w, "go_goroutines 7")
			return
		}
		fmt.Fprint(w, `<Response><Message>menu</Message></Response>`)
	}))
	defer srv.Close()
	cfg := surgeConfig{rate: 100, d: 200 * time.Millisecond, drainCap: time.Second, after: 50 * time.Millisecond, grace: 50 * time.Millisecond}
	rep, err := runSurge(srv.URL, rr, numbers()[:20], cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.stretches != -1 || rep.busy != -1 || rep.twiml != 20 || rep.repliedPct() != 100 {
		t.Errorf("stretches %v, busy %v, TwiML %d, replied %.0f%%; want not counted, not counted, 20, 100", rep.stretches, rep.busy, rep.twiml, rep.repliedPct())
	}
}

// TestRestRepliesScheduled: a scheduled message (a reminder) is not a
// reply, a failed create is not one either, and a waiter is woken by the
// reply that comes after it started waiting.
func TestRestRepliesScheduled(t *testing.T) {
	now := time.Now()
	fake := twiliotest.New(func() time.Time { return now })
	defer fake.Close()
	rr, err := newRestReplies(fake.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Close()
	post := func(form url.Values) int {
		req, _ := http.NewRequest(http.MethodPost, rr.URL+"/2010-04-01/Accounts/"+twiliotest.AccountSID+"/Messages.json", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(twiliotest.AccountSID, twiliotest.AuthToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	const a, b = "+13125550142", "+13125550143"
	if st := post(url.Values{"To": {a}, "Body": {"reminder"}, "MessagingServiceSid": {twiliotest.ServiceSID},
		"ScheduleType": {"fixed"}, "SendAt": {now.Add(time.Hour).Format(time.RFC3339)}}); st != http.StatusCreated {
		t.Fatalf("scheduling: status %d", st)
	}
	if st := post(url.Values{"To": {a}}); st != http.StatusBadRequest { // no body: refused
		t.Fatalf("bad create: status %d", st)
	}
	if rr.has(a) {
		t.Fatal("a reminder or a refused create counted as a reply")
	}
	woke := make(chan bool)
	go func() { woke <- rr.wait(b, 5*time.Second) }()
	if st := post(url.Values{"To": {b}, "Body": {"menu"}, "MessagingServiceSid": {twiliotest.ServiceSID}}); st != http.StatusCreated {
		t.Fatalf("reply: status %d", st)
	}
	if !<-woke || !rr.has(b) || rr.has(a) {
		t.Errorf("reply to b not seen, or seen as one to a")
	}
	if rr.wait(a, 10*time.Millisecond) {
		t.Error("wait for a number never replied to returned true")
	}
	// A second reply to b is one more, not the first again.
	if rr.waitPast(b, 1, 10*time.Millisecond) {
		t.Error("waitPast(b, 1) returned true after one reply")
	}
	go func() { woke <- rr.waitPast(b, 1, 5*time.Second) }()
	post(url.Values{"To": {b}, "Body": {"menu"}, "MessagingServiceSid": {twiliotest.ServiceSID}})
	if !<-woke || rr.count(b) != 2 {
		t.Errorf("second reply to b: count %d", rr.count(b))
	}
}

// TestConversationAlternates: no resident sends the same text twice in a
// row, within a run or across runs, and residents keep their own turns.
func TestConversationAlternates(t *testing.T) {
	c := newConversation(3)
	last := map[int]string{}
	for i := range 30 {
		k := i * 7 % 3
		text := c.next(k)
		if text == last[k] {
			t.Fatalf("resident %d sent %q twice in a row", k, text)
		}
		last[k] = text
	}
	if got := newConversation(1).next(0); got != "2" {
		t.Errorf("first text %q, want 2 (what to bring, from the menu)", got)
	}
}
