package twilio

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"
)

// TestQueueShutdown: Shutdown returns by its deadline whatever the jobs
// do, and counts the jobs it leaves undone.
func TestQueueShutdown(t *testing.T) {
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	for _, tc := range []struct {
		name     string
		jobs     []func() error // on one lane, in order
		wantLeft int
	}{
		{"all done in time", []func() error{okJob, okJob, okJob}, 0},
		{"one hangs, two wait behind it", []func() error{func() error { <-hang; return nil }, okJob, okJob}, 3},
		// A job failing for a reason that may pass would be retried after
		// a backoff of a minute: the shutdown does not wait for it.
		{"one retrying", []func() error{func() error { return errNetwork }}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := newQueue("sms", 1, 5, time.Minute, slog.New(slog.NewTextHandler(io.Discard, nil)), func(string, bool) {})
			for _, run := range tc.jobs {
				if !q.add(job{kind: "test", key: "+13125550142", run: run}) {
					t.Fatal("job refused")
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			left := q.shutdown(ctx)
			if d := time.Since(start); d > time.Second {
				t.Errorf("Shutdown took %v, want it back by its deadline (200ms)", d)
			}
			if left != tc.wantLeft {
				t.Errorf("left %d jobs, want %d", left, tc.wantLeft)
			}
			if q.add(job{kind: "test", key: "+13125550142", run: okJob}) {
				t.Error("a job was taken after Shutdown")
			}
		})
	}
}

func okJob() error { return nil }

// errNetwork is an error without an HTTP status, as a dropped connection
// gives: worth retrying.
var errNetwork = errors.New("connection reset")
