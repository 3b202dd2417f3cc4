package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/sms"
	"github.com/cita-city/cita/channels/twilio/twiliotest"
	"github.com/cita-city/cita/scheduling"
	"github.com/cita-city/cita/storage"
)

// openChecked opens the data dir's database in this process (the server
// must be gone), runs the store's invariant check and returns the store.
func openChecked(t *testing.T, e *env) *storage.Store {
	t.Helper()
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	s, err := storage.Open(filepath.Join(e.data, dbName), storage.Options{Location: loc, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatalf("database does not open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Check(); err != nil {
		t.Fatalf("invariants: %v", err)
	}
	return s
}

// residentNumber returns distinct fictional numbers: 555-0100..0199
// across area codes.
func residentNumber(i int) string {
	areas := []int{312, 773, 872, 708, 630, 847, 224, 331, 815, 779}
	return fmt.Sprintf("+1%d55501%02d", areas[(i/100)%len(areas)], i%100)
}

// TestLastSeatsRace: 500 residents confirm the same slot at once. Exactly
// the slot's desks win; every other one is offered the nearest free times.
func TestLastSeatsRace(t *testing.T) {
	s := startSMSServer(t, nil, nil)
	const n = 500
	residents := make([]*smsResident, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := range residents {
		residents[i] = s.resident(residentNumber(i))
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			// One person, another office: City Hall, Tue 1 Dec, 9:00.
			for _, step := range []string{"4", "1", "3", "1", "2", "1"} {
				if status, reply := residents[i].say(step); status != 200 || reply == "" {
					t.Errorf("resident %d step %s: %d %q", i, step, status, reply)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	start := make(chan struct{})
	replies := make([]string, n)
	for i, r := range residents {
		wg.Go(func() {
			<-start
			_, replies[i] = r.say("1")
		})
	}
	close(start)
	wg.Wait()
	won, offered := 0, 0
	for i, reply := range replies {
		switch {
		case codeRE.MatchString(reply) && strings.Contains(reply, "9:00"):
			won++
		case strings.Contains(reply, "just taken") && strings.Contains(reply, "\n1 "):
			offered++
		default:
			t.Errorf("resident %d got neither a booking nor alternatives:\n%s", i, reply)
		}
	}
	const desks = 4 // City Hall in the demo program
	if won != desks || offered != n-desks {
		t.Errorf("%d booked and %d offered alternatives, want %d and %d", won, offered, desks, n-desks)
	}
	s.stop(os.Interrupt)
	st := openChecked(t, s.e)
	at9 := 0
	if err := st.All(func(a scheduling.Appointment) error {
		if a.Office == "city-hall" && a.Start.Format("2006-01-02 15:04") == "2026-12-01 09:00" {
			at9++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if at9 != desks {
		t.Errorf("%d appointments stored at the slot, want %d", at9, desks)
	}
	if strings.Contains(s.out.String(), "panic") {
		t.Errorf("server panicked:\n%s", s.out)
	}
}

// TestCrashLoop kills the server with SIGKILL at random moments while
// residents book, restarts it, and checks after every kill that the
// database opens clean and holds every booking whose confirmation reached
// its resident. CITA_CRASH_KILLS sets the number of kills (default 20,
// about 12 s; more by hand, e.g. 200).
func TestCrashLoop(t *testing.T) {
	kills := 20
	if v, err := strconv.Atoi(os.Getenv("CITA_CRASH_KILLS")); err == nil && v > 0 {
		kills = v
	}
	e := newEnv(t)
	var s *smsServer
	var (
		mu        sync.Mutex
		confirmed []string
		next      int
	)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 8))
	for k := range kills {
		s = startSMSServer(t, e, s.fakeOrNil())
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					mu.Lock()
					i := next
					next++
					mu.Unlock()
					if code, ok := bookQuietly(s.base, residentNumber(i%10000), i); ok {
						mu.Lock()
						confirmed = append(confirmed, code)
						mu.Unlock()
					}
				}
			})
		}
		time.Sleep(time.Duration(200+rng.IntN(600)) * time.Millisecond)
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
		<-s.done
		close(stop)
		wg.Wait()
		st := openChecked(t, e)
		mu.Lock()
		for _, code := range confirmed {
			if _, err := st.ByCode(code); err != nil {
				t.Errorf("kill %d: confirmed booking %s lost: %v", k+1, code, err)
			}
		}
		mu.Unlock()
		st.Close()
	}
	t.Logf("%d kills, %d confirmed bookings, all present", kills, len(confirmed))
	if len(confirmed) == 0 {
		t.Error("no booking was confirmed between kills: the load did not run")
	}
}

func (s *smsServer) fakeOrNil() *twiliotest.Server {
	if s == nil {
		return nil
	}
	return s.fake
}

// bookQuietly walks one resident through a booking, giving up silently at
// the first failure (the server may be killed at any moment), and returns
// the confirmation code when the confirmation reply arrived.
func bookQuietly(base, number string, seq int) (string, bool) {
	days := []string{"1", "2", "3"}
	// One person, another office: office, day, time, yes.
	steps := []string{"4", "1", "3", fmt.Sprint(1 + seq%3), days[seq/3%3], fmt.Sprint(1 + seq/9%4), "1"}
	var reply string
	for j, step := range steps {
		var ok bool
		reply, ok = postQuietly(base, number, step, fmt.Sprintf("SM%010d%022d", seq, j))
		if !ok {
			return "", false
		}
	}
	code := codeRE.FindString(reply)
	return code, code != ""
}

// postQuietly posts one signed message and returns the reply text; ok is
// false on any failure.
func postQuietly(base, from, text, sid string) (string, bool) {
	form := smsForm(from, text, sid)
	req, err := http.NewRequest(http.MethodPost, base+sms.Path, strings.NewReader(form.Encode()))
	if err != nil {
		return "", false
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twiliotest.Sign(twiliotest.AuthToken, smsPublicURL+sms.Path, form))
	resp, err := quietClient.Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return "", false
	}
	var doc struct {
		Messages []string `xml:"Message"`
	}
	if xml.Unmarshal(body, &doc) != nil {
		return "", false
	}
	return strings.Join(doc.Messages, "\n"), true
}

var quietClient = &http.Client{Timeout: 10 * time.Second}

// TestGracefulShutdown: SIGTERM while new residents' first messages are
// being worked on (slow production-strength hashing): each webhook was
// acknowledged at once, each message either gets its reply through the
// REST API or is counted in the log as left unanswered, and the process
// exits cleanly within 5 s.
func TestGracefulShutdown(t *testing.T) {
	s := startSMSServer(t, nil, nil, "CITA_ARGON2_MEMORY=65536", "CITA_ARGON2_TIME=2")
	const n = 6
	replies := make([]string, n)
	oks := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			replies[i], oks[i] = postQuietly(s.base, residentNumber(i), "hola", fmt.Sprintf("SMterm%028d", i))
		})
	}
	wg.Wait()
	for i := range n {
		if !oks[i] || replies[i] != "" {
			t.Errorf("webhook %d: ok %v, reply %q; want an empty acknowledgment", i, oks[i], replies[i])
		}
	}
	// SIGTERM once stretching has begun.
	deadline := time.Now().Add(10 * time.Second)
	for regexp.MustCompile(`(?m)^cita_identity_stretches_total 0$`).MatchString(scrape(t, s.base)) {
		if time.Now().After(deadline) {
			t.Fatal("the server never began stretching")
		}
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(6 * time.Second):
		t.Fatal("still running 6 s after SIGTERM")
	}
	took := time.Since(start)
	wg.Wait()
	if took > 5*time.Second {
		t.Errorf("shutdown took %v, want <= 5 s", took)
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0:\n%s", code, s.out)
	}
	answered := 0
	for i := range n {
		answered += len(s.fake.SentTo(residentNumber(i)))
	}
	left := 0
	if m := regexp.MustCompile(`messages left unanswered at shutdown" count=(\d+)`).FindStringSubmatch(s.out.String()); m != nil {
		left, _ = strconv.Atoi(m[1])
	}
	if answered+left != n {
		t.Errorf("%d answered and %d counted as left, want %d in all:\n%s", answered, left, n, s.out)
	}
	t.Logf("answered %d, left %d", answered, left)
	if !strings.Contains(s.out.String(), "shutting down") || strings.Contains(s.out.String(), "panic") {
		t.Errorf("server output:\n%s", s.out)
	}
	openChecked(t, s.e)
	t.Logf("SIGTERM to exit: %v", took.Round(time.Millisecond))
}
