package main

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/telegram/telegramtest"
	"github.com/cita-city/cita/channels/twilio/twiliotest"
	"github.com/cita-city/cita/channels/whatsapp"
	"github.com/cita-city/cita/identity"
)

// Telegram residents of the mock subpoena: distinctive ids.
var subpoenaTelegram = []int64{861234501, 861234502, 861234503}

// WhatsApp residents of the mock subpoena: the numbers after the others'.
var subpoenaWhatsApp = []string{"+13125550150", "+13125550151", "+13125550152", "+13125550153", "+13125550154"}

// TestMockSubpoena is promise P1-P8 end to end: residents use every
// channel, a clerk checks people in, the day closes and the key rotates;
// then everything a subpoena could reach (the database file raw, every
// file of the data dir, every line the binary printed, the metrics page)
// is searched for every resident in every spelling and for unkeyed hashes
// of their numbers. Nothing may be found.
func TestMockSubpoena(t *testing.T) {
	t0, _ := time.Parse(time.RFC3339, e2eNow)
	began := time.Now()
	twilio := twiliotest.New(func() time.Time { return t0.Add(time.Since(began)) })
	defer twilio.Close()
	tg := telegramtest.NewServer()
	defer tg.Close()
	twilio.Template(waTemplateES, "CityKey {{1}}: {{2}}, {{3}}.")
	const waTemplateEN = "HX00000000000000000000000000000e10"
	twilio.Template(waTemplateEN, "CityKey reminder {{1}}: {{2}}, {{3}}.")

	e := newEnv(t)
	e.vars = append(e.vars,
		"TWILIO_ACCOUNT_SID="+twiliotest.AccountSID,
		"TWILIO_AUTH_TOKEN="+twiliotest.AuthToken,
		"TWILIO_MESSAGING_SERVICE_SID="+twiliotest.ServiceSID,
		"TWILIO_API_BASE="+twilio.URL,
		"CITA_PUBLIC_URL="+smsPublicURL,
		"TWILIO_WHATSAPP_FROM="+waSender,
		"TWILIO_WHATSAPP_TEMPLATES=en:"+waTemplateEN+",es:"+waTemplateES,
		"TELEGRAM_BOT_TOKEN="+telegramtest.Token,
		"TELEGRAM_API_ENDPOINT="+tg.Endpoint(),
		"CITA_LOCAL_TOKEN=subpoena-local",
	)
	if out, code := e.run("clerk-password-123\n", "clerk", "add", "desk1"); code != 0 {
		t.Fatalf("clerk add: exit %d: %s", code, out)
	}
	srv := e.serveWith(t)
	base := "http://" + srv.addr

	// 50 residents: 0101..0139 by SMS webhooks, 0141 by a phone call, 0100
	// and the rest of 0140..0149 with bot chat through the running server.
	var numbers []string // E.164
	for i := 100; i < 150; i++ {
		numbers = append(numbers, fmt.Sprintf("+1312555%04d", i))
	}
	codes := map[string]string{}   // number -> confirmation code
	offices := map[string]string{} // number -> office id
	var checkIn []string           // numbers the clerk checks in
	for i, n := range numbers {
		var reply string
		if i == 41 {
			// A caller: books by phone, through the voice webhooks.
			code, said := bookByPhone(t, base, n, "1")
			reply = code + " " + said
		} else if i == 0 || i >= 40 {
			out, code := e.run("4\n1\n1\n", "chat", "--server", base, "--local-token", "subpoena-local", "--as", n)
			if code != 0 {
				t.Fatalf("chat as resident %d: exit %d:\n%s", i, code, out)
			}
			reply = out
		} else {
			r := &smsResident{t: t, fake: twilio, base: base, number: n}
			for _, step := range []string{"4", "1"} { // one person: the earliest time is offered
				if status, _ := r.say(step); status != http.StatusOK {
					t.Fatalf("resident %d step %s: %d", i, step, status)
				}
			}
			_, reply = r.say("1") // book it
			r.say("1")            // yes, remind me
			switch i % 5 {
			case 0: // reschedule to the third day offered
				// change, one person, another office, City Hall, day, time, yes, remind me
				for _, step := range []string{"5", "1", "1", "3", "1", "3", "1", "1", "1"} {
					r.say(step)
				}
			case 1: // cancel
				for _, step := range []string{"5", "2", "1"} {
					r.say(step)
				}
			case 2: // delete my data
				for _, step := range []string{"0", "1"} {
					r.say(step)
				}
			case 3:
				checkIn = append(checkIn, n)
			}
		}
		c := codeRE.FindString(reply)
		if c == "" {
			t.Fatalf("resident %d got no confirmation code:\n%s", i, reply)
		}
		codes[n] = c
		// The earliest time may be at City Hall or, once its slot is
		// full, at Northwest: the clerk checks in at the office booked.
		offices[n] = "city-hall"
		if strings.Contains(reply, "Northwest") {
			offices[n] = "northwest"
		}
	}
	for _, id := range subpoenaTelegram {
		r := &resident{t: t, api: tg, id: id, lang: "en"}
		r.book("2") // families: the party size is a count, not identifying
	}
	// WhatsApp residents book with a reminder (a Content template), then
	// one each cancels, deletes their data, moves, or keeps it.
	for i, n := range subpoenaWhatsApp {
		r := &smsResident{t: t, fake: twilio, base: base, number: n, prefix: whatsapp.Prefix, path: whatsapp.Path}
		// Tuesday (Monday's slots are too soon for a scheduled message):
		// one person, another office, City Hall, the day, the time.
		for _, step := range []string{"4", "1", "3", "1", "2", "1"} {
			if status, _ := r.say(step); status != http.StatusOK {
				t.Fatalf("WhatsApp resident %d step %s: %d", i, step, status)
			}
		}
		_, reply := r.say("1")
		if codeRE.FindString(reply) == "" {
			t.Fatalf("WhatsApp resident %d got no confirmation code:\n%s", i, reply)
		}
		r.say("1") // yes, remind me
		var steps []string
		switch i {
		case 1:
			steps = []string{"5", "2", "1"}
		case 2:
			steps = []string{"0", "1"}
		case 3: // change, one person, another office, City Hall, day, time, yes, remind me
			steps = []string{"5", "1", "1", "3", "1", "3", "1", "1", "1"}
		}
		for _, step := range steps {
			r.say(step)
		}
	}
	eventually(t, "the WhatsApp reminders", func() bool {
		n := 0
		for _, m := range twilio.Messages() {
			if m.ContentSID == waTemplateEN && m.Status == "scheduled" {
				n++
			}
		}
		return n == 3 // kept, moved and the fifth's; cancelled and deleted ones gone
	})
	numbers = append(numbers, subpoenaWhatsApp...)

	// A clerk signs in and checks people in, by code and by typed number.
	cookie := clerkLogin(t, base, "desk1", "clerk-password-123")
	for i, n := range checkIn {
		form := url.Values{"office": {offices[n]}}
		path := "/clerk/checkin"
		if i%2 == 0 {
			form.Set("code", codes[n])
		} else {
			path = "/clerk/checkin-phone"
			form.Set("phone", "("+n[2:5]+") "+n[5:8]+"-"+n[8:])
		}
		clerkPost(t, base+path, cookie, form)
	}
	metrics := get(t, base+"/metrics")
	// Memory (docs/PRIVACY.md, "Memory"): core dumps are off, and a core
	// taken all the same (root, gcore) is searched and its count reported.
	if soft, hard := coreLimit(t, srv.cmd.Process.Pid); soft != "0" || hard != "0" {
		t.Errorf("server's core file size limit is %s (hard %s), want 0", soft, hard)
	}
	var deleted []string // residents who deleted their data
	for i, n := range numbers {
		if i > 0 && i < 40 && i%5 == 2 {
			deleted = append(deleted, n)
		}
	}
	reportCore(t, srv.cmd.Process.Pid, numbers, deleted, subpoenaTelegram)
	e.stop(t, srv)

	// Before closing: the method finds what is there. Resident 4 (index 4:
	// booked, left to become a no-show) is in the file under epoch 1.
	keyData, err := os.ReadFile(e.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	oldKeys, err := identity.ParseKeys(keyData)
	if err != nil || len(oldKeys) != 1 {
		t.Fatalf("key file before rotation: %d keys, %v", len(oldKeys), err)
	}
	h, err := identity.NewHasher(oldKeys, identity.Params{Memory: 1024, Time: 1, Threads: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(e.data, dbName)
	stored := h.Hash(numbers[4], oldKeys[0])
	if db, _ := os.ReadFile(dbPath); !bytes.Contains(db, stored.Hash[:]) {
		t.Fatal("sanity: the stored hash of a booked resident is not in the file, so the scan below proves nothing")
	}

	// close-day and rotate-key, a few days on (rescheduled appointments are
	// later in the week), with the clock of a late run.
	later := append(append([]string(nil), e.vars...), "CITA_NOW=2026-12-10T20:00:00-06:00")
	saved := e.vars
	e.vars = later
	out, code := e.run("", "jobs", "run", "close-day")
	if code != 0 || !strings.Contains(out, "2026-11-30") {
		t.Fatalf("close-day: exit %d:\n%s", code, out)
	}
	if out, code := e.run("", "jobs", "run", "close-day"); code != 0 || !strings.Contains(out, "no day to close") {
		t.Errorf("second close-day: exit %d:\n%s", code, out)
	}
	out, code = e.run("", "jobs", "run", "rotate-key", "--force")
	if code != 0 || !strings.Contains(out, "added key epoch 2") || !strings.Contains(out, "destroyed key epoch 1") {
		t.Fatalf("rotate-key: exit %d:\n%s", code, out)
	}
	inspect, code := e.run("", "inspect")
	checkedIn := 0 // people, summed over the offices' counters
	for _, m := range regexp.MustCompile(`checked-in=(\d+)`).FindAllStringSubmatch(inspect, -1) {
		n, _ := strconv.Atoi(m[1])
		checkedIn += n
	}
	if code != 0 || !strings.Contains(inspect, `bucket "counters"`) || checkedIn != len(checkIn) {
		t.Errorf("inspect (exit %d) lacks the day's counters with %d check-ins:\n%s", code, len(checkIn), inspect)
	}
	e.vars = saved

	// After key destruction: the old key is gone from the key file, and the
	// old numbers hashed under the keys that remain match nothing stored.
	keyData, err = os.ReadFile(e.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(keyData, []byte(base64.StdEncoding.EncodeToString(oldKeys[0].Secret[:]))) {
		t.Error("the destroyed key is still in the key file")
	}
	newKeys, err := identity.ParseKeys(keyData)
	if err != nil || len(newKeys) != 1 || newKeys[0].Epoch != 2 {
		t.Fatalf("key file after rotation: %v, %v", newKeys, err)
	}
	h2, err := identity.NewHasher(newKeys, identity.Params{Memory: 1024, Time: 1, Threads: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range numbers {
		if id := h2.Hash(n, newKeys[0]); bytes.Contains(db, id.Hash[:]) {
			t.Errorf("%s hashed under the remaining key is in the file", n)
		}
		if id := h.Hash(n, oldKeys[0]); bytes.Contains(db, id.Hash[:]) {
			t.Errorf("%s hashed under the destroyed key is still in the file", n)
		}
	}
	if out, _ := e.run("5\n", "chat", "--as", numbers[4]); codeRE.MatchString(out) {
		t.Errorf("an old number still finds an appointment after close-day and rotation:\n%s", out)
	}

	// The data dir holds the database and nothing else: no temp file, no
	// copy, no stray key.
	if err := filepath.WalkDir(e.data, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && p != dbPath {
			t.Errorf("data dir holds %s besides the database", p)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}

	// The scan.
	hay := map[string][]byte{"output": e.logs.Bytes(), "metrics": metrics}
	if err := filepath.WalkDir(e.data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		hay[p] = b
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var needles []needle
	for _, n := range numbers {
		needles = append(needles, numberNeedles(n)...)
	}
	for _, n := range subpoenaWhatsApp {
		w := whatsapp.Prefix + n
		needles = append(needles, needle{w, []byte(w)})
		needles = append(needles, hashNeedles(w)...)
	}
	for _, id := range subpoenaTelegram {
		s := strconv.FormatInt(id, 10)
		needles = append(needles, needle{s, []byte(s)}, needle{"telegram:" + s, []byte("telegram:" + s)})
		needles = append(needles, hashNeedles("telegram:"+s)...)
	}
	for _, k := range append(oldKeys, newKeys...) {
		needles = append(needles, keyNeedles(k)...)
	}
	hits := 0
	for where, b := range hay {
		for _, nd := range needles {
			if bytes.Contains(b, nd.b) {
				hits++
				if hits <= 20 {
					t.Errorf("%s holds %s", where, nd.what)
				}
			}
		}
	}
	t.Logf("searched %d places (%d bytes of output, %d of metrics) for %d needles: %d hits", len(hay), len(e.logs.Bytes()), len(metrics), len(needles), hits)
}

type needle struct {
	what string
	b    []byte
}

// numberNeedles are e164's spellings and unkeyed hashes of them.
func numberNeedles(e164 string) []needle {
	digits := e164[2:]
	national := "(" + digits[:3] + ") " + digits[3:6] + "-" + digits[6:]
	var out []needle
	for _, s := range spellings(national) {
		out = append(out, needle{fmt.Sprintf("%q", s), []byte(s)})
	}
	for _, s := range []string{e164, "1" + digits, digits} {
		out = append(out, hashNeedles(s)...)
	}
	return out
}

// hashNeedles are the unkeyed SHA-256 and MD5 of s, raw and in hex.
func hashNeedles(s string) []needle {
	sh, m := sha256.Sum256([]byte(s)), md5.Sum([]byte(s))
	return []needle{
		{"sha256(" + s + ")", sh[:]}, {"hex sha256(" + s + ")", []byte(hex.EncodeToString(sh[:]))},
		{"md5(" + s + ")", m[:]}, {"hex md5(" + s + ")", []byte(hex.EncodeToString(m[:]))},
	}
}

// keyNeedles are a key's secret raw, in hex and in base64.
func keyNeedles(k identity.Key) []needle {
	return []needle{
		{fmt.Sprintf("raw secret of %v", k), k.Secret[:]},
		{fmt.Sprintf("hex secret of %v", k), []byte(hex.EncodeToString(k.Secret[:]))},
		{fmt.Sprintf("base64 secret of %v", k), []byte(base64.StdEncoding.EncodeToString(k.Secret[:]))},
		{fmt.Sprintf("base64url secret of %v", k), []byte(base64.RawURLEncoding.EncodeToString(k.Secret[:]))},
	}
}

// clerkLogin signs in and returns the session cookie. The cookie is Secure
// (the public URL is https), so it is carried by hand over the test's http.
func clerkLogin(t *testing.T, base, user, password string) *http.Cookie {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(base+"/clerk/login", url.Values{"username": {user}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "cita_clerk" && c.Value != "" {
			return c
		}
	}
	t.Fatalf("clerk login: %s, no session cookie", resp.Status)
	return nil
}

func clerkPost(t *testing.T, u string, cookie *http.Cookie, form url.Values) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		t.Fatalf("POST %s: %s", u, resp.Status)
	}
}

func get(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

// TestBadKeysAndDatabase: what the binary does with a damaged database
// and with key files it must refuse, and that no run prints the key.
func TestBadKeysAndDatabase(t *testing.T) {
	e := newEnv(t)
	if out, code := e.run("4\n1\n1\n", "chat", "--as", "+1 312 555 0190"); code != 0 {
		t.Fatalf("chat: exit %d:\n%s", code, out)
	}
	dir := t.TempDir()
	short := filepath.Join(dir, "short.key")
	if err := os.WriteFile(short, []byte("1 2026-11-30 "+base64.StdEncoding.EncodeToString(make([]byte, 16))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(dir, "open.key")
	good, err := os.ReadFile(e.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(open, good, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o644); err != nil {
		t.Fatal(err)
	}
	inData := filepath.Join(e.data, "inside.key")
	if err := os.WriteFile(inData, good, 0o600); err != nil {
		t.Fatal(err)
	}
	refusals := []struct {
		name string
		args []string
		want string
	}{
		{"missing key file", []string{"chat", "--key-file", filepath.Join(dir, "none.key")}, "none.key"},
		{"secret of the wrong length", []string{"chat", "--key-file", short}, "secret is 16 bytes, want 32"},
		{"key readable by others", []string{"chat", "--key-file", open}, "can be read by other users"},
		{"key inside the data dir", []string{"chat", "--key-file", inData}, "inside the data dir"},
		{"rotate-key refuses it too", []string{"jobs", "run", "rotate-key", "--key-file", inData}, "inside the data dir"},
		{"close-day before closing time", []string{"jobs", "run", "close-day", "--date", "2026-11-30"}, "have not all closed yet"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			out, code := e.run("4\n", tc.args...)
			if code == 0 || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, want failure saying %q:\n%s", code, tc.want, out)
			}
		})
	}
	t.Run("key inside the data dir with --dev", func(t *testing.T) {
		if out, code := e.run("5\n", "chat", "--dev", "--key-file", inData, "--as", "+1 312 555 0190"); code != 0 || !codeRE.MatchString(out) {
			t.Errorf("--dev: exit %d, want the appointment shown:\n%s", code, out)
		}
	})
	t.Run("jobs", func(t *testing.T) {
		for _, args := range [][]string{{"jobs", "run", "sweep"}, {"jobs", "run", "rotate-key"}, {"inspect"}, {"jobs", "run", "close-day", "--date", "2026-11-30", "--force"}} {
			if out, code := e.run("", args...); code != 0 {
				t.Errorf("%v: exit %d:\n%s", args, code, out)
			}
		}
	})
	t.Run("corrupt database", func(t *testing.T) {
		db := filepath.Join(e.data, dbName)
		junk := bytes.Repeat([]byte("not a database "), 1000)
		if err := os.WriteFile(db, junk, 0o600); err != nil {
			t.Fatal(err)
		}
		out, code := e.run("", "inspect")
		if code == 0 || !strings.Contains(out, "damaged") || !strings.Contains(out, "restore the last backup") {
			t.Errorf("exit %d, want a damaged-file error naming the backup:\n%s", code, out)
		}
		if after, _ := os.ReadFile(db); !bytes.Equal(after, junk) {
			t.Error("the damaged file was changed")
		}
	})
	keys, err := identity.ParseKeys(good)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		for _, nd := range keyNeedles(k) {
			if bytes.Contains(e.logs.Bytes(), nd.b) {
				t.Errorf("output holds the %s", nd.what)
			}
		}
	}
}

// coreLimit returns a process's core file size limits from /proc.
func coreLimit(t *testing.T, pid int) (soft, hard string) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Max core file size"); ok {
			if f := strings.Fields(rest); len(f) >= 2 {
				return f[0], f[1]
			}
		}
	}
	t.Fatalf("no core file size in /proc/%d/limits", pid)
	return "", ""
}

// numberForms are the spellings of a test number (+1 312 555 01xx) a core
// is searched for, longest first: each occurrence counts once, under the
// longest spelling it matches.
var numberForms = []string{"+13125550142", "13125550142", "3125550142", "(312) 555-0142", "312-555-0142", "555-0142", "5550142"}

// inSID is the count, after numberForms, of numbers found inside a test
// MessageSid (not a spelling of the number: see countNumbers).
const inSID = "SM3125550142..."

// reportCore dumps the running process pid with gcore, where gdb is
// installed, and reports how often each test number and Telegram id is in
// its memory. It only reports: what memory holds for how long is the Go
// runtime's and the libraries' doing as much as cita's, and PRIVACY.md
// gives the figure. The test numbers all have 555-01 in them, so one pass
// finds every spelling of every one.
func reportCore(t *testing.T, pid int, numbers, deleted []string, ids []int64) {
	t.Helper()
	if _, err := exec.LookPath("gcore"); err != nil {
		t.Log("core dump not measured: gcore (package gdb) is not installed")
		return
	}
	prefix := filepath.Join(t.TempDir(), "core")
	start := time.Now()
	if out, err := exec.Command("gcore", "-o", prefix, strconv.Itoa(pid)).CombinedOutput(); err != nil {
		t.Logf("core dump not measured: gcore: %v\n%s", err, out)
		return
	}
	path := fmt.Sprintf("%s.%d", prefix, pid)
	defer os.Remove(path)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	byNumber := map[string]int{}              // last four digits -> occurrences
	byForm := make([]int, len(numberForms)+1) // index in numberForms (or inSID) -> occurrences
	byID := map[string]int{}
	size := int64(0)
	const chunk, overlap = 64 << 20, 32
	buf := make([]byte, chunk+overlap)
	carry := 0
	for {
		n, err := io.ReadFull(f, buf[carry:])
		size += int64(n)
		data := buf[:carry+n]
		// An occurrence is counted in the chunk where its 555 (or its id)
		// starts: those in the overlap are left for the next chunk.
		limit := len(data) - overlap
		if err != nil {
			limit = len(data)
		}
		countNumbers(data, limit, byNumber, byForm)
		countIDs(data, limit, ids, byID)
		if err != nil {
			break
		}
		copy(buf, data[len(data)-overlap:])
		carry = overlap
	}

	found, deletedFound, total, deletedTotal, most := 0, 0, 0, 0, 0
	for _, n := range numbers {
		c := byNumber[n[len(n)-4:]]
		total += c
		most = max(most, c)
		if c > 0 {
			found++
		}
		if slices.Contains(deleted, n) {
			deletedTotal += c
			if c > 0 {
				deletedFound++
			}
		}
	}
	var forms []string
	for i, form := range append(numberForms, inSID) {
		forms = append(forms, fmt.Sprintf("%q %d", form, byForm[i]))
	}
	var idCounts []string
	for _, id := range ids {
		s := strconv.FormatInt(id, 10)
		idCounts = append(idCounts, fmt.Sprintf("%s: %d", s, byID[s]))
	}
	t.Logf("core dump (gcore, %d MiB, %v): %d of %d test numbers in memory, %d occurrences, at most %d of one; "+
		"of the %d who deleted their data: %d found, %d occurrences; by spelling: %s; Telegram ids: %s",
		size>>20, time.Since(start).Round(time.Millisecond), found, len(numbers), total, most,
		len(deleted), deletedFound, deletedTotal, strings.Join(forms, ", "), strings.Join(idCounts, ", "))
}

// countNumbers counts the test numbers whose 555 lies before limit in
// data, by their last four digits and by spelling.
func countNumbers(data []byte, limit int, byNumber map[string]int, byForm []int) {
	for i := 0; i < limit; {
		j := bytes.Index(data[i:], []byte("555"))
		if j < 0 || i+j >= limit {
			return
		}
		p := i + j
		i = p + 1
		rest := data[p+3:]
		dashed := bytes.HasPrefix(rest, []byte("-01"))
		if dashed {
			rest = rest[1:]
		} else if !bytes.HasPrefix(rest, []byte("01")) {
			continue
		}
		if len(rest) < 4 || !isDigit(rest[2]) || !isDigit(rest[3]) {
			continue
		}
		last4 := string(rest[:4])
		before := data[:p]
		form := 6 // 5550142
		switch {
		case !dashed && bytes.HasSuffix(before, []byte("SM312")):
			// The test's own MessageSids embed the number; the channel
			// keeps them (hashed or not) to drop repeated deliveries.
			form = len(numberForms)
		case dashed && bytes.HasSuffix(before, []byte("(312) ")):
			form = 3
		case dashed && bytes.HasSuffix(before, []byte("312-")):
			form = 4
		case dashed:
			form = 5
		case bytes.HasSuffix(before, []byte("+1312")):
			form = 0
		case bytes.HasSuffix(before, []byte("1312")):
			form = 1
		case bytes.HasSuffix(before, []byte("312")):
			form = 2
		}
		byForm[form]++
		if form < len(numberForms) {
			byNumber[last4]++
		}
	}
}

// countIDs counts the Telegram ids starting before limit in data.
func countIDs(data []byte, limit int, ids []int64, byID map[string]int) {
	for _, id := range ids {
		s := []byte(strconv.FormatInt(id, 10))
		for i := 0; i < limit; {
			j := bytes.Index(data[i:], s)
			if j < 0 || i+j >= limit {
				break
			}
			byID[string(s)]++
			i += j + 1
		}
	}
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }
