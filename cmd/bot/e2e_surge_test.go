package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSurgeTurnsNewcomersAway: with a tiny admission bound and slow
// production-strength hashing, newcomers writing one after another are
// each answered within 2 s: the first ones are queued and get their reply
// through the REST API, the later ones at once get the busy reply in
// their language, and nothing else; /metrics counts them.
func TestSurgeTurnsNewcomersAway(t *testing.T) {
	s := startSMSServer(t, nil, nil, "CITA_ARGON2_MEMORY=65536", "CITA_ARGON2_TIME=2", "CITA_ADMISSION_WAIT=1ms")
	const n = 8
	const busyText = "Many people are writing to us right now. Please write again in 1 minute."
	acked, busy := 0, 0
	waiting := map[int]bool{} // acknowledged: their reply comes later
	for i := range n {
		start := time.Now()
		reply, ok := postQuietly(s.base, residentNumber(i), "hello", fmt.Sprintf("SMsurge%027d", i))
		if d := time.Since(start); !ok || d > 2*time.Second {
			t.Fatalf("webhook %d: ok %v after %v", i, ok, d)
		}
		switch reply {
		case "":
			acked++
			waiting[i] = true
		case busyText:
			busy++
		default:
			t.Errorf("webhook %d answered %q, want an acknowledgment or the busy text", i, reply)
		}
	}
	if busy == 0 || acked == 0 {
		t.Fatalf("%d acknowledged and %d busy, want some of each", acked, busy)
	}
	// Each acknowledged newcomer gets one reply through the REST API: the
	// welcome, or the busy text if their stretch had not started within
	// the channel's wait limit (1.5 ms here). Only those turned away at
	// admission count in cita_admission_busy_total.
	for i := range n {
		if !waiting[i] {
			if sent := s.fake.SentTo(residentNumber(i)); len(sent) != 0 {
				t.Errorf("resident %d was told busy, then sent %q", i, sent[0].Body)
			}
			continue
		}
		sent := s.fake.WaitSent(residentNumber(i), 1, 20*time.Second)
		if len(sent) != 1 {
			t.Errorf("resident %d got %d REST messages, want 1", i, len(sent))
		}
		for _, m := range sent {
			if m.Body != busyText && !strings.Contains(m.Body, "Welcome") {
				t.Errorf("resident %d got %q", i, m.Body)
			}
		}
	}
	m := regexp.MustCompile(`(?m)^cita_admission_busy_total (\d+)$`).FindStringSubmatch(scrape(t, s.base))
	if m == nil {
		t.Fatal("no cita_admission_busy_total")
	}
	if got, _ := strconv.Atoi(m[1]); got != busy {
		t.Errorf("cita_admission_busy_total %d, want %d", got, busy)
	}
}
