package telegram

import (
	"fmt"
	"sort"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/cita-city/cita/channels/telegram/telegramtest"
)

// TestPacingFullSize is the acceptance run at production settings:
// 300 messages to 250 chats against a fake enforcing 30/s overall and 1/s
// per chat must draw no 429 and drop nothing. 300 messages at 25/s take
// about 12 s.
func TestPacingFullSize(t *testing.T) {
	if testing.Short() {
		t.Skip("12 s at production rates")
	}
	f := newFixture(t, paced)
	const messages, chats = 300, 250
	start := time.Now()
	for i := range messages {
		chat := ana + int64(i%chats)
		f.ch.out.send(job{chat: chat, message: true, call: tgbotapi.NewMessage(chat, fmt.Sprintf("message %d", i))})
	}
	if !f.api.WaitFor(30*time.Second, func() bool { return f.ch.out.pending() == 0 }) {
		t.Fatalf("not drained after 30 s: %d left", f.ch.out.pending())
	}
	elapsed := time.Since(start)

	sent := f.api.Requests("sendMessage")
	var ok []time.Time
	perChat := map[int64][]time.Time{}
	for _, r := range sent {
		if r.Status == 200 {
			ok = append(ok, r.At)
			perChat[r.ChatID] = append(perChat[r.ChatID], r.At)
		}
	}
	if n := f.api.Limited(); n != 0 {
		t.Errorf("fake answered %d 429s, want 0", n)
	}
	if len(ok) != messages {
		t.Errorf("%d messages delivered, want %d", len(ok), messages)
	}
	if len(perChat) != chats {
		t.Errorf("%d chats reached, want %d", len(perChat), chats)
	}
	minGap := time.Hour
	for _, times := range perChat {
		for i := 1; i < len(times); i++ {
			minGap = min(minGap, times[i].Sub(times[i-1]))
		}
	}
	if minGap < time.Second {
		t.Errorf("two messages to one chat %v apart, want >= 1 s", minGap)
	}
	// The pacer sends at 25/s, but arrival times at the fake bunch when the
	// machine is busy (the race detector, parallel packages): what must hold
	// is Telegram's own limit, 30 in any second.
	peak := peakPerSecond(ok)
	if peak > 30 {
		t.Errorf("peak %d messages in a second, want <= 30 (Telegram's limit)", peak)
	}
	t.Logf("pacing: %d messages to %d chats in %v (%.1f/s), peak %d in any 1 s window, least gap within a chat %v, 429s %d",
		len(ok), len(perChat), elapsed.Round(time.Millisecond), float64(len(ok))/elapsed.Seconds(), peak, minGap.Round(time.Millisecond), f.api.Limited())
}

// TestPacingScaled runs the same check quickly with both the pacer and the
// fake's limits scaled up by the same factor.
func TestPacingScaled(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Rate, c.ChatGap = 250, 110*time.Millisecond })
	f.api.PerSecond, f.api.PerChat = 300, 100*time.Millisecond
	for i := range 300 {
		chat := ana + int64(i%250)
		f.ch.out.send(job{chat: chat, message: true, call: tgbotapi.NewMessage(chat, "m")})
	}
	f.settle(t)
	if n := len(f.api.Requests("sendMessage")); n != 300 {
		t.Errorf("%d requests, want 300 (no 429, none dropped)", n)
	}
	if n := f.api.Limited(); n != 0 {
		t.Errorf("%d 429s, want 0", n)
	}
}

func TestTooManyRequestsHonoured(t *testing.T) {
	f := newFixture(t)
	f.api.ForceTooMany(1, 2)
	start := time.Now()
	f.ch.out.send(job{chat: ana, message: true, call: tgbotapi.NewMessage(ana, "after a 429")})
	f.settle(t)
	took := time.Since(start)
	reqs := f.api.Requests("sendMessage")
	if len(reqs) != 2 || reqs[0].Status != 429 || reqs[1].Status != 200 {
		t.Fatalf("requests %+v, want a 429 then a 200", statuses(reqs))
	}
	if gap := reqs[1].At.Sub(reqs[0].At); gap < 2*time.Second {
		t.Errorf("retried %v after a 429 with retry_after 2, want >= 2 s", gap)
	}
	if got := f.ch.RateLimited(); got != 1 {
		t.Errorf("RateLimited() = %d, want 1", got)
	}
	if msgs := f.api.Messages(ana); len(msgs) != 1 {
		t.Errorf("chat has %d messages, want exactly 1 (took %v)", len(msgs), took)
	}
}

func TestOrderKeptPerChat(t *testing.T) {
	f := newFixture(t)
	for i := range 5 {
		f.ch.out.send(job{chat: ana, message: true, call: tgbotapi.NewMessage(ana, fmt.Sprint(i))})
	}
	f.settle(t)
	var got []string
	for _, m := range f.api.Messages(ana) {
		got = append(got, m.Text)
	}
	if fmt.Sprint(got) != "[0 1 2 3 4]" {
		t.Errorf("order %v, want 0..4", got)
	}
}

func statuses(rs []telegramtest.Request) []int {
	var s []int
	for _, r := range rs {
		s = append(s, r.Status)
	}
	return s
}

// peakPerSecond is the most times falling in any window of one second.
func peakPerSecond(times []time.Time) int {
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	peak, lo := 0, 0
	for hi := range times {
		for times[hi].Sub(times[lo]) >= time.Second {
			lo++
		}
		peak = max(peak, hi-lo+1)
	}
	return peak
}

// TestChatGapAcrossIdleQueues sends to one chat in bursts separated by just
// about the gap, the pattern of a resident pressing buttons: an idle chat's
// pacing must survive until the gap has passed.
func TestChatGapAcrossIdleQueues(t *testing.T) {
	f := newFixture(t, paced)
	for i := range 4 {
		f.ch.out.send(job{chat: ana, message: true, call: tgbotapi.NewMessage(ana, fmt.Sprint(i))})
		f.settle(t)
		time.Sleep(time.Duration(i*30) * time.Millisecond)
	}
	if n := f.api.Limited(); n != 0 {
		t.Errorf("%d 429s, want 0", n)
	}
	reqs := f.api.Requests("sendMessage")
	for i := 1; i < len(reqs); i++ {
		if gap := reqs[i].At.Sub(reqs[i-1].At); gap < time.Second {
			t.Errorf("messages %d and %d %v apart", i-1, i, gap)
		}
	}
}
