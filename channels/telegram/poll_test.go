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
