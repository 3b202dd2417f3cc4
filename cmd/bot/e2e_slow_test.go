package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/sms"
)

// slowClients is how many connections the slow-client test opens: what
// an outside load test once used to take the server to 3.1 GiB.
const slowClients = 20_000

// slowRate is how many connections a second the test opens, over all its
// processes: the slow clients are opened in about 5 s. A client that opens
// connections faster than the server can accept them fills the kernel's
// accept queue (4096 here), and every connection, /healthz's included,
// then waits behind the queue or has its SYN dropped and resent a second
// later, whatever the server does: that is a connection flood, for SYN
// cookies and the firewall in front, not a slow client.
const slowRate = 4000

// TestSlowClients opens 20,000 connections that send their request a
// byte at a time, once trickling headers and once trickling the body of
// an unsigned SMS webhook, against the built binary with its default
// limits. While they are open the server must stay under 512 MiB of RSS,
// keep accepting, and answer /healthz on a new connection within 1 s.
func TestSlowClients(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 20,000 connections")
	}
	perProcess := raiseOpenFiles(t, slowClients)
	// The server starts with a soft open-file limit of 1024, as many
	// systems set it, and must raise it to the hard limit itself.
	var raised syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
		t.Fatal(err)
	}
	low := raised
	low.Cur = 1024
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	s := startSMSServer(t, nil, nil)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
		t.Fatal(err)
	}
	pid := s.cmd.Process.Pid
	// The Go runtime sets it to one below the hard limit, so that a later
	// prlimit from outside can be told apart.
	if soft, hard := childOpenFiles(t, pid); uint64(soft) < raised.Max-1 || uint64(hard) != raised.Max {
		t.Errorf("server's open-file limit: soft %d, hard %d: want about %d (started with soft 1024)", soft, hard, raised.Max)
	}
	addr := strings.TrimPrefix(s.base, "http://")

	holders := startHolders(t, addr, slowClients, perProcess)
	for vi, v := range slowVariants {
		t.Run(v.name, func(t *testing.T) {
			shedBefore := scrapeValue(t, s.base, "cita_http_connections_shed_total")
			overflowsBefore := listenOverflows()
			start := time.Now()
			probe := startProbe(s.base, pid)
			opened := count(t, holders, "open "+v.name, "opened")
			if opened < slowClients {
				t.Errorf("%d of %d connections opened", opened, slowClients)
			}
			// Hold them a while, trickling, as the header timeout nears;
			// meanwhile a resident texts and is answered.
			dropped := 0
			var webhook time.Duration
			for i := range 3 {
				time.Sleep(time.Second)
				dropped = count(t, holders, "trickle", "closed")
				if i == 0 {
					began := time.Now()
					status, _ := s.resident(fmt.Sprintf("+1312555%04d", 190+vi)).say("hi")
					webhook = time.Since(began)
					if status != http.StatusOK || webhook > 2*time.Second {
						t.Errorf("a signed webhook during the attack: status %d after %v, want 200 within 2 s", status, webhook)
					}
				}
			}
			p := probe.stop()
			for _, h := range holders {
				h.do("close")
			}
			shed := scrapeValue(t, s.base, "cita_http_connections_shed_total") - shedBefore
			overflows := listenOverflows() - overflowsBefore
			t.Logf("%s: %d connections from %d processes in %v; %d closed by the server meanwhile (%v shed at the limit); "+
				"healthz: %d probes, median %v, slowest %v, %d failed; server RSS peak %d MiB (VmHWM %d MiB); "+
				"accept queue overflows (whole machine) %d; a signed webhook answered in %v",
				v.name, opened, len(holders), time.Since(start).Round(time.Millisecond), dropped, shed,
				p.probes, p.median.Round(time.Millisecond), p.slowest.Round(time.Millisecond), p.failed, p.maxRSS>>20, p.hwm>>20, overflows, webhook.Round(time.Millisecond))
			if p.failed > 0 || p.probes == 0 {
				t.Errorf("healthz failed %d of %d probes: %v", p.failed, p.probes, p.firstErr)
			}
			if p.slowest > time.Second {
				t.Errorf("healthz took %v, want under 1 s", p.slowest)
			}
			if p.hwm >= 512<<20 {
				t.Errorf("server's peak RSS %d MiB, want under 512 MiB", p.hwm>>20)
			}
			if opened > defaultMaxConns && shed == 0 {
				t.Errorf("%d connections against a limit of %d, yet none was shed", opened, defaultMaxConns)
			}
		})
	}
	// Still accepting, and still itself.
	resp, err := (&http.Client{Timeout: time.Second}).Get(s.base + "/healthz")
	if err != nil {
		t.Fatalf("healthz after the slow clients: %v", err)
	}
	resp.Body.Close()
	s.stop(os.Interrupt)
	if strings.Contains(s.out.String(), "panic") || strings.Contains(s.out.String(), "too many open files") {
		t.Errorf("server log:\n%s", s.out.String())
	}
}

// slowVariants are the two ways of being slow: what each connection sends
// at once; then it sends a byte a second.
var slowVariants = []struct {
	name  string
	first []byte
}{
	{"header trickle", []byte("GET /healthz HTTP/1.1\r\nHost: cita\r\nX-Slow: ")},
	{"body trickle", append([]byte("POST "+sms.Path+" HTTP/1.1\r\nHost: cita\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: AAAA\r\n"+
		"Content-Length: 65536\r\n\r\n"), bytes.Repeat([]byte("a"), 16<<10)...)},
}

// fdSpare is what a process keeps free of test connections.
const fdSpare = 2048

// raiseOpenFiles raises this process's open-file limit as far as it may
// (raising the hard limit needs CAP_SYS_RESOURCE) and returns how many
// connections one process can hold. The server inherits the limit.
func raiseOpenFiles(t *testing.T, want int) int {
	t.Helper()
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		t.Fatal(err)
	}
	orig := l
	need := uint64(want + fdSpare)
	l.Cur, l.Max = max(l.Cur, need), max(l.Max, need)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		l = orig
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			t.Fatal(err)
		}
		t.Logf("open-file limit cannot be raised past %d (%v): the connections are spread over processes", l.Max, err)
	}
	t.Cleanup(func() { _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &orig) })
	if int(l.Cur) <= 2*fdSpare {
		t.Skipf("open-file limit %d: too low for this test", l.Cur)
	}
	return min(want, int(l.Cur)-fdSpare)
}

// holder holds a share of the slow connections, in this process or in a
// helper process (this test binary running TestSlowClientHelper) when one
// process may not open them all. Helpers start before anything is
// measured: starting one builds the bot again (TestMain).
type holder struct {
	addr  string
	n     int
	shift int // picks the loopback source addresses
	conns []net.Conn
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Scanner
}

// startHolders shares n connections to addr out, at most perProcess to a
// process.
func startHolders(t *testing.T, addr string, n, perProcess int) []*holder {
	t.Helper()
	var hs []*holder
	for from := 0; from < n; from += perProcess {
		h := &holder{addr: addr, n: min(perProcess, n-from), shift: from / perProcess}
		hs = append(hs, h)
		if from == 0 {
			continue
		}
		h.cmd = exec.Command(os.Args[0], "-test.run=^TestSlowClientHelper$", "-test.v")
		h.cmd.Env = append(os.Environ(), fmt.Sprintf("CITA_SLOW_HELPER=%s|%d|%d", addr, h.n, h.shift))
		h.cmd.Stderr = os.Stderr
		var err error
		if h.in, err = h.cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
		out, err := h.cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		h.out = bufio.NewScanner(out)
		if err := h.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = h.cmd.Process.Kill(); _ = h.cmd.Wait() })
		if line := h.reply(); line != "ready" {
			t.Fatalf("helper: %q", line)
		}
	}
	return hs
}

// do runs one command in the holder and returns its answer: "open
// VARIANT" (answers "opened N"), "trickle" ("closed N") or "close".
func (h *holder) do(cmd string) string {
	if h.cmd != nil {
		fmt.Fprintln(h.in, cmd)
		return h.reply()
	}
	return h.run(cmd)
}

func (h *holder) run(cmd string) string {
	switch verb, arg, _ := strings.Cut(cmd, " "); verb {
	case "open":
		var err error
		h.conns, err = dialSlow(h.addr, h.n, h.shift, slowRate*h.n/slowClients, variantBytes(arg))
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("opened %d", len(h.conns))
	case "trickle":
		return fmt.Sprintf("closed %d", trickle(h.conns))
	case "close":
		for _, c := range h.conns {
			c.Close()
		}
		h.conns = nil
		return "closed"
	}
	return "unknown command " + cmd
}

// count runs cmd in every holder at once and sums the number each answers
// after word.
func count(t *testing.T, hs []*holder, cmd, word string) int {
	t.Helper()
	answers := make([]string, len(hs))
	var wg sync.WaitGroup
	for i, h := range hs {
		wg.Go(func() { answers[i] = h.do(cmd) })
	}
	wg.Wait()
	sum := 0
	for _, a := range answers {
		var n int
		if _, err := fmt.Sscanf(a, word+" %d", &n); err != nil {
			t.Errorf("%s: %q", cmd, a)
		}
		sum += n
	}
	return sum
}

func variantBytes(name string) []byte {
	for _, v := range slowVariants {
		if v.name == name {
			return v.first
		}
	}
	panic("no slow variant " + name)
}

// reply returns the helper's next line of its own (not go test's).
func (h *holder) reply() string {
	for h.out.Scan() {
		if line, ok := strings.CutPrefix(h.out.Text(), "slow: "); ok {
			return line
		}
	}
	return "helper ended"
}

// TestSlowClientHelper is not a test: it is the helper process that holds
// a share of TestSlowClients' connections, driven over stdin and stdout.
func TestSlowClientHelper(t *testing.T) {
	spec := os.Getenv("CITA_SLOW_HELPER")
	if spec == "" {
		t.Skip("the helper process of TestSlowClients")
	}
	f := strings.Split(spec, "|")
	h := &holder{addr: f[0]}
	h.n, _ = strconv.Atoi(f[1])
	h.shift, _ = strconv.Atoi(f[2])
	raiseOpenFiles(t, h.n)
	fmt.Println("slow: ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		fmt.Printf("slow: %s\n", h.run(in.Text()))
	}
	h.run("close")
}

// dialSlow opens n connections to addr, perSecond a second, and sends
// first on each, from
// loopback addresses of their own per process (shift) so that the ports of
// one cannot run out. A connection the server closes at once to make room
// counts all the same. It uses a few goroutines only: the race detector
// allows about 8,000.
func dialSlow(addr string, n, shift, perSecond int, first []byte) ([]net.Conn, error) {
	conns := make([]net.Conn, n)
	start := time.Now()
	var next, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for w := range 16 {
		ip := net.IPv4(127, 0, byte(1+shift), byte(2+w%8))
		d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: ip}}
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(perSecond))))
				c, err := d.Dial("tcp", addr)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				_ = c.SetWriteDeadline(time.Now().Add(time.Second))
				_, _ = c.Write(first) // the server may have shed it already
				conns[i] = c
			}
		})
	}
	wg.Wait()
	out := conns[:0]
	for _, c := range conns {
		if c != nil {
			out = append(out, c)
		}
	}
	if f := failed.Load(); f > 0 {
		return out, fmt.Errorf("%d of %d connections could not be opened: %v", f, n, firstErr.Load())
	}
	return out, nil
}

// trickle sends one more byte on every connection and returns how many
// the server has closed.
func trickle(conns []net.Conn) (closed int) {
	for _, c := range conns {
		_ = c.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
		if _, err := c.Write([]byte("a")); err != nil {
			closed++
		}
	}
	return closed
}

// probe asks /healthz on a new connection every 100 ms and samples the
// server's RSS, until stopped.
type probe struct {
	done     chan struct{}
	finished chan probeResult
}

type probeResult struct {
	probes, failed  int
	slowest, median time.Duration
	times           []time.Duration
	firstErr        error
	maxRSS, hwm     int64
}

func startProbe(base string, pid int) *probe {
	p := &probe{done: make(chan struct{}), finished: make(chan probeResult, 1)}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	go func() {
		var r probeResult
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			start := time.Now()
			resp, err := client.Get(base + "/healthz")
			d := time.Since(start)
			r.probes++
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %s", resp.Status)
				}
			}
			if err != nil {
				r.failed++
				if r.firstErr == nil {
					r.firstErr = err
				}
			}
			r.slowest = max(r.slowest, d)
			r.times = append(r.times, d)
			rss, hwm := memory(pid)
			r.maxRSS, r.hwm = max(r.maxRSS, rss), max(r.hwm, hwm)
			select {
			case <-p.done:
				slices.Sort(r.times)
				r.median = r.times[len(r.times)/2]
				p.finished <- r
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

func (p *probe) stop() probeResult {
	close(p.done)
	return <-p.finished
}

// memory reads a process's resident set and its peak, in bytes.
func memory(pid int) (rss, hwm int64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			hwm = kb << 10
		}
	}
	return rss, hwm
}

// scrapeValue returns a metric's value from /metrics (0 when absent).
func scrapeValue(t *testing.T, base, name string) float64 {
	t.Helper()
	for line := range strings.SplitSeq(scrape(t, base), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// childOpenFiles reads a process's open-file limits from /proc.
func childOpenFiles(t *testing.T, pid int) (soft, hard int) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Max open files"); ok {
			if f := strings.Fields(rest); len(f) >= 2 {
				soft, _ = strconv.Atoi(f[0])
				hard, _ = strconv.Atoi(f[1])
			}
		}
	}
	return soft, hard
}

// listenOverflows is the machine's count of connections dropped because
// an accept queue was full (TcpExt ListenOverflows), or -1 if unknown.
func listenOverflows() int {
	b, err := os.ReadFile("/proc/net/netstat")
	if err != nil {
		return -1
	}
	lines := strings.Split(string(b), "\n")
	for i := 0; i+1 < len(lines); i += 2 {
		names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		for j, name := range names {
			if name == "ListenOverflows" && j < len(values) {
				n, _ := strconv.Atoi(values[j])
				return n
			}
		}
	}
	return -1
}
