package voice

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/scheduling"
)

// Said is one sentence read aloud, in Lang.
type Said struct {
	Lang string
	Text string
}

// Prompt is what the channel answers a call with, before TwiML.
type Prompt struct {
	Says []Said
	// Keys is set when the caller is asked to press keys; Multi when an
	// answer may have more than one digit (then they wait or press #).
	Keys  bool
	Multi bool
	// Wait holds the call a moment and comes back (identity stretch).
	Wait bool
	// Hangup ends the call after the Says.
	Hangup bool
	// Step numbers the answer, so a webhook Twilio sends twice (or late)
	// is answered with the same prompt and acts once.
	Step int
}

// stage is where a call stands.
type stage int

const (
	stWaiting  stage = iota // the caller's identity stretch
	stLanguage              // the first menu: which language
	stEngine                // the engine's menus
	stEnded
)

// call is one phone call's state, in memory only. It never holds the
// caller's number beyond the identity stretch (admit's closure).
type call struct {
	mu       sync.Mutex
	ids      []scheduling.Identity
	withheld bool
	stage    stage
	lang     string
	since    time.Time // stWaiting: since when
	leave    func() bool
	ready    bool // the stretch is done; ids set
	busy     bool // the admission queue had no room
	seen     time.Time
	step     int
	last     Prompt            // the last answer, for * and for a repeated webhook
	keys     map[string]string // key -> engine choice id (stEngine) or language (stLanguage)
	silences int
}

func (c *call) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stage = stEnded
	if c.leave != nil {
		c.leave()
		c.leave = nil
	}
}

// Choice ids of the engine (see conversations) that need a known caller.
var needsNumber = []string{"book", "appointment", "0", "reschedule", "cancel"}

func denied(id string) bool {
	return slices.Contains(needsNumber, id) || strings.HasPrefix(id, "book-at:")
}

// Start answers a new call from the number from (as Twilio sent it).
// Only the identities made from the number are kept.
func (ch *Channel) Start(sid, from string, now time.Time) Prompt {
	c := &call{seen: now, since: now, lang: ch.langs[0]}
	c.mu.Lock() // before anyone can find it
	defer c.mu.Unlock()
	ch.mu.Lock()
	if old := ch.calls[sid]; old != nil {
		ch.mu.Unlock()
		old.mu.Lock()
		defer old.mu.Unlock()
		return old.last // Twilio asked again for the same call
	}
	ch.calls[sid] = c
	ch.mu.Unlock()
	number := ""
	if !withheld(from) {
		if n, err := ch.c.Normalize(from, ch.c.Program.Region); err == nil {
			number = n
		}
	}
	if number == "" {
		c.withheld = true
		c.ids = []scheduling.Identity{randomIdentity()}
		c.ready = true
		return ch.begin(c, now)
	}
	if ids, ok := ch.c.IDs.Cached(number, now); ok {
		c.ids, c.ready = ids, true
		return ch.begin(c, now)
	}
	leave, err := ch.c.IDs.AdmitAsync(number, now, func() { go ch.admitted(c, number) })
	if err != nil {
		var busy *identity.BusyError
		if !errors.As(err, &busy) {
			ch.c.Log.Error("voice: cannot identify caller")
		} else {
			ch.c.Log.Info("voice: busy, caller told to call later")
		}
		return ch.answer(c, Prompt{Says: []Said{ch.say(c.lang, "voice.busy", nil)}, Hangup: true})
	}
	c.leave = leave
	return ch.answer(c, Prompt{Wait: true})
}

// admitted takes the caller's identities once stretched.
func (ch *Channel) admitted(c *call, number string) {
	ids, ok := ch.c.IDs.Cached(number, ch.c.Now())
	c.mu.Lock()
	defer c.mu.Unlock()
	c.leave = nil
	if !ok {
		c.busy = true // swept already: rare; the caller calls again
		return
	}
	c.ids, c.ready = ids, true
}

// Wait answers a call held for its identity stretch.
func (ch *Channel) Wait(sid string, step int, now time.Time) Prompt {
	c := ch.get(sid)
	if c == nil {
		return ch.gone()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = now
	if step != c.step || c.stage != stWaiting {
		return c.last
	}
	switch {
	case c.ready:
		return ch.begin(c, now)
	case c.busy || now.Sub(c.since) > ch.c.MaxWait:
		if c.leave != nil {
			c.leave()
			c.leave = nil
		}
		c.stage = stEnded
		ch.c.Log.Warn("voice: caller waited too long for the identity stretch; told to call later")
		return ch.answer(c, Prompt{Says: []Said{ch.say(c.lang, "voice.busy", nil)}, Hangup: true})
	}
	return ch.answer(c, Prompt{Wait: true})
}

// begin starts the conversation once the caller is known: in the language
// of their appointment, else with the language menu.
func (ch *Channel) begin(c *call, now time.Time) Prompt {
	if !c.withheld {
		if a, err := ch.c.Appointments.Find(c.ids); err == nil && slices.Contains(ch.langs, a.Lang) {
			c.lang = a.Lang
			return ch.mainMenu(c, now, true)
		} else if err != nil && !errors.Is(err, scheduling.ErrNotFound) {
			ch.c.Log.Error("voice: find appointment", "err", err)
		}
	}
	if len(ch.langs) == 1 {
		return ch.mainMenu(c, now, true)
	}
	return ch.languageMenu(c)
}

// languageMenu offers each language in its own words and voice, in the
// program's order: 1 is its first language.
func (ch *Channel) languageMenu(c *call) Prompt {
	c.stage = stLanguage
	c.keys = map[string]string{}
	p := Prompt{Keys: true, Multi: len(ch.langs) > 9}
	p.Says = append(p.Says, ch.say(ch.langs[0], "voice.welcome", nil))
	for i, l := range ch.langs {
		k := strconv.Itoa(i + 1)
		c.keys[k] = l
		p.Says = append(p.Says, ch.say(l, "voice.language", map[string]any{"Key": k}))
	}
	return ch.answer(c, p)
}

// mainMenu puts the engine's session in c.lang at the main menu. The
// engine is asked for its language menu and then the language, which
// works from any state of a session, new or already going (on SMS too).
func (ch *Channel) mainMenu(c *call, now time.Time, greet bool) Prompt {
	c.stage = stEngine
	lang := c.lang
	ch.handle(c, "language", now)
	r := ch.handle(c, "lang:"+lang, now)
	var before []Said
	if greet {
		before = append(before, ch.say(c.lang, "voice.welcome", nil))
		if c.withheld {
			before = append(before, ch.say(c.lang, "voice.withheld", nil))
		}
	}
	return ch.reply(c, r, before)
}

func (ch *Channel) handle(c *call, choice string, now time.Time) conversations.Reply {
	r := ch.c.Engine.Handle(conversations.Inbound{
		Identity:   c.ids[0],
		Aliases:    c.ids[1:],
		Choice:     choice,
		Sequential: true, // one key per prompt heard; Step drops Twilio's repeats
	}, now)
	if r.Lang != "" && slices.Contains(ch.langs, r.Lang) {
		c.lang = r.Lang
	}
	return r
}

// Press answers the keys pressed at step (empty: none before the timeout).
func (ch *Channel) Press(sid string, step int, digits string, now time.Time) Prompt {
	c := ch.get(sid)
	if c == nil {
		return ch.gone()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = now
	if step != c.step || (c.stage != stLanguage && c.stage != stEngine) {
		return c.last
	}
	digits = strings.TrimSpace(digits)
	if digits == "" {
		c.silences++
		if c.silences >= 3 {
			c.stage = stEnded
			return ch.answer(c, Prompt{Says: []Said{ch.say(c.lang, "voice.goodbye", nil)}, Hangup: true})
		}
		return ch.again(c, nil)
	}
	c.silences = 0
	if strings.Contains(digits, "*") {
		return ch.again(c, nil)
	}
	if c.stage == stLanguage {
		if l, ok := c.keys[digits]; ok {
			c.lang = l
			return ch.mainMenu(c, now, true)
		}
		return ch.again(c, nil)
	}
	if digits == "0" {
		return ch.mainMenu(c, now, false)
	}
	id, ok := c.keys[digits]
	if !ok {
		return ch.again(c, []Said{ch.say(c.lang, "retry", nil)})
	}
	if c.withheld && denied(id) {
		return ch.again(c, []Said{ch.say(c.lang, "voice.withheld", nil)})
	}
	return ch.reply(c, ch.handle(c, id, now), nil)
}

// again says before, then the last prompt again as a new step.
func (ch *Channel) again(c *call, before []Said) Prompt {
	return ch.answer(c, c.last, before...)
}

// gone answers a webhook for a call the channel no longer knows.
func (ch *Channel) gone() Prompt {
	return Prompt{Says: []Said{ch.say(ch.langs[0], "voice.goodbye", nil)}, Hangup: true}
}

// answer numbers p as the call's next step and keeps it for a repeat;
// before is said first this time only (a "sorry", a greeting).
func (ch *Channel) answer(c *call, p Prompt, before ...Said) Prompt {
	c.step++
	p.Step = c.step
	c.last = p
	if len(before) > 0 {
		p.Says = append(slices.Clip(before), p.Says...)
	}
	return p
}

// say returns message id in lang with the program's name available; a
// missing message is logged by id and read in the program's first language.
func (ch *Channel) say(lang, id string, data map[string]any) Said {
	d := map[string]any{"Program": ch.c.Program.Name}
	for k, v := range data {
		d[k] = v
	}
	t, err := ch.c.Texts.Text(lang, id, d)
	if err != nil {
		ch.c.Log.Error("voice: message text", "id", id, "lang", lang, "err", err)
		if lang != ch.langs[0] {
			return ch.say(ch.langs[0], id, data)
		}
	}
	return Said{Lang: lang, Text: spoken(t)}
}
