package clerk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cita-city/cita/clerk"
	"github.com/cita-city/cita/scheduling"
)

// axeTags are the rules run: WCAG 2.1 levels A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	return string(b), err
})

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkAxe runs axe-core on the page the tab shows and fails the test on
// any violation of WCAG 2.1 A or AA.
func checkAxe(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	for _, v := range axeViolations(t, ctx, page) {
		t.Errorf("%s: axe %s (%s): %s\n  %s", page, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
	}
}

func axeViolations(t *testing.T, ctx context.Context, page string) []axeViolation {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		t.Fatalf("axe-core: %v (see testdata/axe/README.md)", err)
	}
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(sctx, chromedp.Evaluate[bool](src+"\n;typeof axe === 'object'")); err != nil {
		t.Fatalf("%s: inject axe-core: %v", page, err)
	}
	tags, _ := json.Marshal(axeTags)
	script := `axe.run(document, {runOnly: {type: "tag", values: ` + string(tags) + `}, resultTypes: ["violations"]}).then(function (r) {
  return JSON.stringify(r.violations.map(function (v) {
    return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(function (n) { return n.target.join(" ") + ": " + n.failureSummary; })};
  }));
})`
	out, err := chromedp.Run(sctx, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe.run: %v", page, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("%s: axe result %q: %v", page, out, err)
	}
	return vs
}

// focused is the id of the element that has the keyboard focus.
func focused(t *testing.T, ctx context.Context) string {
	t.Helper()
	id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
	if err != nil {
		t.Fatalf("active element: %v", err)
	}
	return id
}

// TestBrowserQueue runs the queue in chromium with the keyboard only:
// three residents checked in by code (the focus stays in the code field),
// the next called to desk 2, and the waiting-room screen, open in a
// second tab, shows that code and desk within 2 s. A lobby request
// without the token gets 403. Then axe-core checks every page, the lobby
// and the report included, against WCAG 2.1 A and AA.
func TestBrowserQueue(t *testing.T) {
	f := newFixture(t)
	res := []scheduling.Appointment{f.book("+13125550180", 9, 30), f.book("+13125550181", 9, 45), f.book("+13125550182", 10, 15)}
	f.book("+13125550183", 15, 0)
	// Last Monday, closed, for the report.
	yesterday := scheduling.DateOf(t0).AddDays(-7)
	for i := range 6 {
		ids, _ := f.hasher.Identities(fmt.Sprintf("+131255501%02d", 90+i), t0)
		if _, err := f.bookings.Book(ids[0], []string{"es", "uk", "en"}[i%3], office, yesterday.In(f.program.Location, 10, 15*i), 1, t0.Add(-9*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.store.CloseDay(yesterday); err != nil {
		t.Fatal(err)
	}
	token, hash := clerk.NewLobbyToken()
	if err := f.store.SetLobbyToken(office, hash); err != nil {
		t.Fatal(err)
	}
	base := f.server.URL
	ctx := newBrowser(t)

	lobbyURL := clerk.LobbyURL(base, office, token)
	lobbyTab, cancelLobby := chromedp.NewContext(ctx)
	defer cancelLobby()
	// Open the tab on a context without a deadline: the first action on a
	// chromedp context creates its tab, which lives as long as that context.
	if err := chromedp.Do(lobbyTab); err != nil {
		t.Fatalf("open a second tab: %v", err)
	}
	step(t, lobbyTab, "open the waiting-room screen", chromedp.Navigate(lobbyURL), chromedp.WaitVisible(chromedp.ID("last")))
	if got := text(t, lobbyTab, "#last"); !strings.Contains(got, "Nobody called yet") {
		t.Fatalf("lobby before any call: %q", got)
	}

	signIn(t, ctx, base, "ana")
	if id := focused(t, ctx); id != "code" {
		t.Fatalf("the day list opens with the focus on %q, want the code field", id)
	}
	for _, a := range res {
		step(t, ctx, "check in "+a.Code+" with the keyboard", chromedp.KeyEvent(strings.ToLower(a.Code)+kb.Enter))
		if got := waitText(t, ctx, ".flash", "Checked in "+a.Code); !strings.Contains(got, "Checked in "+a.Code) {
			t.Fatalf("after checking in %s: %q", a.Code, got)
		}
		if id := focused(t, ctx); id != "code" {
			t.Fatalf("after checking in %s the focus is on %q, want the code field", a.Code, id)
		}
	}
	if got := text(t, ctx, "#waiting"); strings.Index(got, res[0].Code) > strings.Index(got, res[1].Code) || strings.Index(got, res[1].Code) > strings.Index(got, res[2].Code) {
		t.Fatalf("waiting list not in order of arrival: %q", got)
	}

	// Tab to the desk, type 2, Tab past "Check in" to "Call to desk", Enter.
	step(t, ctx, "call the next to desk 2 with the keyboard",
		chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("2"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab))
	if id := focused(t, ctx); id != "call" {
		t.Fatalf("two Tabs after the desk land on %q, want the call button", id)
	}
	called := time.Now()
	step(t, ctx, "press Call", chromedp.KeyEvent(kb.Enter))
	if got := waitText(t, ctx, ".flash", "Called"); !strings.Contains(got, "Called "+res[0].Code+" to desk 2.") {
		t.Fatalf("after the call: %q", got)
	}
	if id := focused(t, ctx); id != "code" {
		t.Fatalf("after the call the focus is on %q, want the code field", id)
	}
	var shown string
	for shown = text(t, lobbyTab, "#last"); !strings.Contains(shown, res[0].Code) && time.Since(called) < 5*time.Second; shown = text(t, lobbyTab, "#last") {
		time.Sleep(50 * time.Millisecond)
	}
	took := time.Since(called)
	if !strings.Contains(shown, res[0].Code) || !strings.Contains(shown, "2") || took > 2*time.Second {
		t.Fatalf("the lobby shows %q %v after the call; want %s at desk 2 within 2 s", shown, took, res[0].Code)
	}
	t.Logf("the lobby showed the call %v after it was made", took.Round(10*time.Millisecond))
	if got := text(t, lobbyTab, "#next"); !strings.Contains(got, res[1].Code) || !strings.Contains(got, res[2].Code) {
		t.Fatalf("lobby's next codes: %q", got)
	}
	checkAxe(t, lobbyTab, "lobby")
	// The office turns the sound cue off, and the screen remembers it.
	step(t, lobbyTab, "turn the sound off", chromedp.Click(chromedp.ID("sound")))
	step(t, lobbyTab, "reload the screen", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("last")))
	if got := waitText(t, lobbyTab, "#sound", "off"); got != "Sound cue: off" {
		t.Fatalf("sound toggle after a reload: %q", got)
	}
	shot, err := chromedp.Run(lobbyTab, chromedp.FullScreenshot(100))
	if err == nil {
		os.MkdirAll(filepath.Join("testdata", "artifacts"), 0o755)
		os.WriteFile(filepath.Join("testdata", "artifacts", "lobby.png"), shot, 0o644)
	}

	resp, err := chromedp.RunResponse(lobbyTab, chromedp.Navigate(base+"/lobby/?office="+office))
	if err != nil || resp.Status != http.StatusForbidden {
		t.Fatalf("lobby without its token: %v %v, want 403", resp, err)
	}
	cancelLobby()

	checkAxe(t, ctx, "day list")
	checkFocusRing(t, ctx, "#code", "#desk", "#show", "#checkin-code", "#print-link", ".top nav a", "#signout")
	pages := []struct{ name, path, ready string }{
		{"walk-in", "/clerk/walkin?office=" + office, "#book"},
		{"print view", "/clerk/print?office=" + office, "#printed"},
		{"not found", "/clerk/nowhere", "main"},
		{"another day", "/clerk/?office=" + office + "&date=2026-12-01", "#counts"},
	}
	for _, p := range pages {
		step(t, ctx, "open "+p.name, chromedp.Navigate(base+p.path), chromedp.WaitVisible(chromedp.CSS(p.ready)))
		checkAxe(t, ctx, p.name)
	}
	step(t, ctx, "sign out", chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("signin")))
	checkAxe(t, ctx, "sign-in")
	signIn(t, ctx, base, "max")
	for _, p := range []struct{ name, path, ready string }{
		{"report", "/clerk/report?" + url.Values{"from": {"2026-11"}, "to": {"2026-11"}}.Encode(), "svg.langs"},
		{"capacity", "/clerk/capacity", "svg.capacity"},
		{"close a day", "/clerk/close?office=" + office + "&date=2026-12-01", "#affected"},
		{"audit log", "/clerk/audit", "#audit"},
		{"screens", "/clerk/lobby", "#screens"},
	} {
		step(t, ctx, "open "+p.name, chromedp.Navigate(base+p.path), chromedp.WaitVisible(chromedp.CSS(p.ready)))
		checkAxe(t, ctx, p.name)
	}
	step(t, ctx, "make a screen link", chromedp.Click(chromedp.ID("make-"+office)), chromedp.WaitVisible(chromedp.ID("new-link")))
	checkAxe(t, ctx, "screens with a new link")

	// The check itself can fail: a planted image without a text
	// alternative and grey-on-white text are found.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function () {
  var i = document.createElement("img"); i.src = "/clerk/static/none.png"; document.querySelector("main").appendChild(i);
  var p = document.createElement("p"); p.textContent = "faint"; p.style.color = "#ccc"; document.querySelector("main").appendChild(p);
  return true; })()`)); err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, v := range axeViolations(t, ctx, "planted") {
		found[v.ID] = true
	}
	if !found["image-alt"] || !found["color-contrast"] {
		t.Fatalf("axe missed planted violations: found %v", found)
	}
}

// focusRingJS focuses each element and returns, per selector, the contrast
// ratio (WCAG 2.1) of its focus outline against the background around it
// (the outline is drawn outside the element, on its parent's background).
const focusRingJS = `(function (sels) {
  function lum(c) {
    var v = c.match(/[\d.]+/g).slice(0, 3).map(function (x) {
      x = Number(x) / 255;
      return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  }
  function bg(el) {
    for (; el; el = el.parentElement) {
      var c = getComputedStyle(el).backgroundColor, m = c.match(/[\d.]+/g);
      if (m && (m.length < 4 || Number(m[3]) > 0)) return c;
    }
    return "rgb(255, 255, 255)";
  }
  return sels.map(function (sel) {
    var el = document.querySelector(sel);
    if (!el) return sel + "=missing";
    el.focus();
    var st = getComputedStyle(el);
    if (st.outlineStyle === "none" || parseFloat(st.outlineWidth) < 2) return sel + "=0";
    var a = lum(st.outlineColor), b = lum(bg(el.parentElement));
    return sel + "=" + ((Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)).toFixed(2);
  }).join(";");
})`

// checkFocusRing fails the test for any element whose focus ring is
// thinner than 2 px or below 3:1 against its background (WCAG 2.1 1.4.11).
func checkFocusRing(t *testing.T, ctx context.Context, sels ...string) {
	t.Helper()
	// :focus styles apply only in a page that has the window's focus,
	// which a headless tab next to another may not.
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatalf("focus emulation: %v", err)
	}
	arg, _ := json.Marshal(sels)
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](focusRingJS+"("+string(arg)+")"))
	if err != nil {
		t.Fatalf("focus rings: %v", err)
	}
	for _, kv := range strings.Split(out, ";") {
		sel, ratio, _ := strings.Cut(kv, "=")
		var r float64
		if _, err := fmt.Sscan(ratio, &r); err != nil || r < 3 {
			t.Errorf("focus ring of %s: contrast %s, want at least 3:1", sel, ratio)
		}
	}
	t.Logf("focus ring contrast: %s", out)
}
