package telegram

import (
	"context"
	"testing"
	"time"
)

func TestPollingHandlesAndStopsWithinOneSecond(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.PollTimeout = 25 * time.Second })
	f.api.PollWait = 30 * time.Second // a real long poll: only cancelling ends it
	first := f.api.Enqueue(f.api.Text(ana, ana, "en", "hi"))
	second := f.api.Enqueue(f.api.Text(bruno, bruno, "en", "hi"))

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.ch.Run(ctx) }()
	if !f.api.WaitFor(5*time.Second, func() bool { return len(f.engine.inbound()) == 2 }) {
		t.Fatalf("engine saw %d updates, want 2", len(f.engine.inbound()))
	}
	time.Sleep(200 * time.Millisecond) // now inside a long poll
	stopped := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run still polling 2 s after cancel")
	}
	if took := time.Since(stopped); took > time.Second {
		t.Errorf("Run took %v to stop, want < 1 s", took)
	}
	if got := f.api.Confirmed(); got <= second || f.api.Pending() != 0 {
		t.Errorf("confirmed offset %d (updates %d, %d), %d pending: a restart would handle them again", got, first, second, f.api.Pending())
	}
	if n := len(f.api.Requests("deleteWebhook")); n != 1 {
		t.Errorf("%d deleteWebhook calls before polling, want 1", n)
	}

	// A restart sees nothing old.
	ctx2, cancel2 := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel2()
	_ = f.ch.Run(ctx2)
	if n := len(f.engine.inbound()); n != 2 {
		t.Errorf("after a restart the engine saw %d updates, want still 2", n)
	}
}

// TestPollGapWhenAnswersComeAtOnce: an API that answers getUpdates at once
// with nothing was polled over 1,000 times a second (issue 12). Empty
// answers are now at least PollGap apart, and updates still come through.
func TestPollGapWhenAnswersComeAtOnce(t *testing.T) {
	const gap, polls = 200 * time.Millisecond, 6
	f := newFixture(t, func(c *Config) { c.PollGap = gap })
	f.api.PollWait = 0 // no long poll: every getUpdates is answered at once
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.ch.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if !f.api.WaitFor(10*time.Second, func() bool { return len(f.api.Requests("getUpdates")) >= polls }) {
		t.Fatalf("only %d polls in 10 s", len(f.api.Requests("getUpdates")))
	}
	reqs := f.api.Requests("getUpdates")
	if span, least := reqs[polls-1].At.Sub(reqs[0].At), (polls-1)*gap*9/10; span < least {
		t.Errorf("%d empty polls within %v, want them at least %v apart (%v in all)", polls, span, gap, least)
	}
	f.api.Enqueue(f.api.Text(ana, ana, "en", "hi"))
	if !f.api.WaitFor(5*time.Second, func() bool { return len(f.engine.inbound()) == 1 }) {
		t.Error("an update was not fetched between the gaps")
	}
}
