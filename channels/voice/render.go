package voice

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/cita-city/cita/conversations"
)

// reply renders the engine's reply for the ear: its text, the confirmation
// code in it spelled out and read a second time, then each choice as "for
// X, press N" (numbered as SMS numbers them, so 4 books everywhere), and
// how to hear it again or go back. The choice "0" of the main menu
// (delete my data) is key 9 here: 0 is the main menu on the phone.
func (ch *Channel) reply(c *call, r conversations.Reply, before []Said) Prompt {
	lang := c.lang
	text := r.Text
	code := ""
	for _, k := range ch.codes(c, r) {
		if k != "" && strings.Contains(text, k) {
			code = k
			text = strings.ReplaceAll(text, k, spell(k))
			break
		}
	}
	says := []Said{{Lang: lang, Text: spoken(text)}}
	if code != "" {
		says = append(says, ch.say(lang, "voice.code", map[string]any{"Code": spell(code)}))
	}
	if len(r.Choices) == 0 {
		// Data deleted: nothing more to offer.
		c.stage = stEnded
		says = append(says, ch.say(lang, "voice.goodbye", nil))
		return ch.answer(c, Prompt{Says: says, Hangup: true}, before...)
	}
	c.keys = map[string]string{}
	// The engine's language menu: each language is offered in itself.
	languages := false
	for _, choice := range r.Choices {
		if strings.HasPrefix(choice.ID, "lang:") {
			languages = true
		} else if choice.ID != "menu" {
			languages = false
			break
		}
	}
	main, multi := false, false
	n, lo, hi := 0, 0, 0 // lo..hi: choices labeled with their own key (party sizes)
	for _, choice := range r.Choices {
		var key string
		if choice.ID == "0" {
			key, main = "9", true
		} else {
			n++
			key = strconv.Itoa(n)
		}
		multi = multi || len(key) > 1
		c.keys[key] = choice.ID
		label := spoken(choice.Label)
		switch {
		case choice.ID == "menu" || (c.withheld && denied(choice.ID)):
			// The way back is 0, said below; booking is not offered to a hidden number.
		case languages:
			says = append(says, ch.say(strings.TrimPrefix(choice.ID, "lang:"), "voice.language", map[string]any{"Key": key}))
		case label == key:
			if lo == 0 {
				lo = n
			}
			hi = n
		default:
			says = append(says, ch.say(lang, "voice.press", map[string]any{"Label": label, "Key": key}))
		}
	}
	if lo > 0 {
		says = append(says, ch.say(lang, "voice.keys", map[string]any{"From": strconv.Itoa(lo), "To": strconv.Itoa(hi)}))
	}
	says = append(says, ch.say(lang, "voice.repeat", nil))
	if !main {
		says = append(says, ch.say(lang, "voice.menu", nil))
	}
	return ch.answer(c, Prompt{Says: says, Keys: true, Multi: multi}, before...)
}

// codes returns the confirmation codes the reply may read: those of its
// effects, else the caller's appointment's ("my appointment" reads it).
func (ch *Channel) codes(c *call, r conversations.Reply) []string {
	var out []string
	for _, e := range r.Effects {
		out = append(out, e.Appointment.Code, e.Previous.Code)
	}
	if len(out) == 0 && !c.withheld {
		if a, err := ch.c.Appointments.Find(c.ids); err == nil {
			out = append(out, a.Code)
		}
	}
	return out
}

// spell reads a code one character at a time: the commas make a voice
// pause between them, slowly enough to write each down.
func spell(code string) string {
	parts := make([]string, 0, len(code))
	for _, r := range code {
		parts = append(parts, string(r))
	}
	return strings.Join(parts, ", ")
}

// spoken strips what does not read aloud: direction marks, symbols and
// emoji; line breaks become pauses.
func spoken(s string) string {
	var b strings.Builder
	space := false
	for i, line := range strings.Split(s, "\n") {
		line = strings.Map(func(r rune) rune {
			if unicode.Is(unicode.Bidi_Control, r) || unicode.Is(unicode.So, r) || unicode.Is(unicode.Cf, r) {
				return -1
			}
			switch r {
			case '*', '#', '_', '•', '|', '~':
				return -1
			}
			return r
		}, line)
		line = strings.Join(strings.Fields(line), " ")
		line = strings.TrimLeft(line, "-–— ") // a list's bullet
		if line == "" {
			continue
		}
		if i > 0 && b.Len() > 0 {
			last, _ := lastRune(b.String())
			if !unicode.IsPunct(last) {
				b.WriteString(".")
			}
			space = true
		}
		if space {
			b.WriteString(" ")
			space = false
		}
		b.WriteString(line)
	}
	return b.String()
}

func lastRune(s string) (rune, bool) {
	rs := []rune(s)
	if len(rs) == 0 {
		return 0, false
	}
	return rs[len(rs)-1], true
}
