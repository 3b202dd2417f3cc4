package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/telegram/telegramtest"
	"github.com/cita-city/cita/channels/twilio/twiliotest"
)

// TestShutdownWithHangingProviders: SIGTERM ends the process within 5 s
// while Twilio and Telegram hold every call open and work is queued for
// both, and what was left undone is logged as a count, never as what it
// was.
func TestShutdownWithHangingProviders(t *testing.T) {
	t0, _ := time.Parse(time.RFC3339, e2eNow)
	began := time.Now()
	twilio := twiliotest.New(func() time.Time { return t0.Add(time.Since(began)) })
	t.Cleanup(twilio.Close)
	tg := telegramtest.NewServer()
	t.Cleanup(tg.Close)
	s := startSMSServer(t, nil, twilio,
		"TELEGRAM_BOT_TOKEN="+telegramtest.Token,
		"TELEGRAM_API_ENDPOINT="+tg.Endpoint(),
	)
	// Six residents book with a reminder, while Twilio still answers.
	var residents []*smsResident
	for i := range 6 {
		r := s.resident(fmt.Sprintf("+1312555%04d", 160+i))
		residents = append(residents, r)
		// One person, another office: City Hall, Tuesday (a reminder the
		// day before is still ahead), a time each, yes, a reminder.
		for _, step := range []string{"4", "1", "3", "1", "2", strconv.Itoa(1 + i%3), "1", "1"} {
			if status, _ := r.say(step); status != 200 {
				t.Fatalf("resident %d, step %s: status %d", i, step, status)
			}
		}
		eventually(t, "the reminder", func() bool { return len(twilio.Scheduled(r.number)) == 1 })
	}
	// Then every Twilio call hangs until the client gives up (the fake
	// ends with the test), and all six delete their data: each deletion
	// cancels a reminder at Twilio, a call queued behind the hanging ones.
	for _, m := range []string{"GET", "POST", "DELETE"} {
		twilio.Hang(m, "/", time.Hour, 1000)
	}
	before := len(twilio.Requests())
	for i, r := range residents {
		for _, step := range []string{"0", "1"} {
			if status, _ := r.say(step); status != 200 {
				t.Fatalf("resident %d, step %s: status %d", i, step, status)
			}
		}
	}
	eventually(t, "a Twilio call hanging", func() bool { return len(twilio.Requests()) > before })
	// Polling has begun before the Bot API starts hanging (a hanging
	// deleteWebhook holds polling back for the HTTP client's timeout);
	// from now on every Telegram call but getUpdates hangs.
	eventually(t, "Telegram polled", func() bool { return len(tg.Requests("getUpdates")) > 0 })
	tg.Hang(1000, time.Hour, false)
	// A Telegram resident writes twice: the first reply hangs, the second
	// waits behind it.
	const chat = 861234590
	tg.Enqueue(tg.Text(chat, chat, "en", "hello"))
	tg.Enqueue(tg.Text(chat, chat, "en", "4"))
	eventually(t, "a Telegram call hanging", func() bool { return len(tg.Requests("sendMessage")) > 0 })

	start := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("still running 15 s after SIGTERM:\n%s", s.out.String())
	}
	took := time.Since(start)
	log := s.out.String()
	t.Logf("exited %v after SIGTERM (exit status %d)", took.Round(time.Millisecond), s.cmd.ProcessState.ExitCode())
	for line := range strings.SplitSeq(log, "\n") {
		if strings.Contains(line, "shut") || strings.Contains(line, "left") || strings.Contains(line, "given up") {
			t.Log(line)
		}
	}
	if took > 5*time.Second {
		t.Errorf("took %v to exit after SIGTERM, want at most 5 s", took)
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0:\n%s", code, log)
	}
	left := regexp.MustCompile(`twilio calls left undone.* jobs=(\d+)`).FindStringSubmatch(log)
	if left == nil {
		t.Errorf("no count of the Twilio calls left undone in the log:\n%s", log)
	} else if n, _ := strconv.Atoi(left[1]); n < 3 {
		t.Errorf("log says %d Twilio calls left, want at least 3 (some hang, more wait behind them)", n)
	}
	if !regexp.MustCompile(`(?i)telegram.*(left|given up|unsent)`).MatchString(log) {
		t.Errorf("nothing in the log says Telegram work was left undone:\n%s", log)
	}
	for _, r := range residents {
		n := r.number
		for _, sp := range spellings("(" + n[2:5] + ") " + n[5:8] + "-" + n[8:]) {
			if strings.Contains(log, sp) {
				t.Errorf("log holds %q", sp)
			}
		}
	}
	if strings.Contains(log, strconv.Itoa(chat)) {
		t.Errorf("log holds the chat id %d", chat)
	}
}
