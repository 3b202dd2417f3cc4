package conversations

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// resolve finds the choice the resident made among those last offered:
// a pressed button's ID as is; a number ("2", "2.", "#2", "２", "٢"),
// 1-based in the order shown with 0 for the choice whose ID is "0"; or
// words matching a choice's label or the language's yes/no/more words.
// Main menu choices pressed or typed from an older message are taken too.
func (e *Engine) resolve(s *session, in Inbound) (string, bool) {
	if in.Choice != "" {
		if hasChoice(s.choices, in.Choice) || hasChoice(e.mainChoices(s), in.Choice) {
			return in.Choice, true
		}
		return "", false
	}
	if n, ok := number(in.Text); ok {
		return pick(s.choices, n)
	}
	words := fold(in.Text)
	if len(words) == 0 {
		return "", false
	}
	for _, k := range []struct{ id, words string }{
		{idYes, "words.yes"}, {idNo, "words.no"}, {idMore, "words.more"},
	} {
		if hasChoice(s.choices, k.id) && e.keyword(s.lang, k.words, words) {
			return k.id, true
		}
	}
	if id, ok := matchLabel(s.choices, words); ok {
		return id, true
	}
	// A main menu choice typed by name from anywhere.
	return matchLabel(e.mainChoices(s), words)
}

func hasChoice(cs []Choice, id string) bool {
	for _, c := range cs {
		if c.ID == id {
			return true
		}
	}
	return false
}

// pick returns the choice numbered n as Render shows it.
func pick(cs []Choice, n int) (string, bool) {
	i := 0
	for _, c := range cs {
		if c.ID == idForget {
			if n == 0 {
				return c.ID, true
			}
			continue
		}
		i++
		if i == n {
			return c.ID, true
		}
	}
	return "", false
}

// number reads text as a choice number, forgiving what phones and people
// add around it: spaces, punctuation ("1.", "2)", "#3"), invisible
// direction marks, full-width and other scripts' digits (Arabic-Indic ٣,
// Eastern Arabic-Indic ۳).
func number(text string) (int, bool) {
	text = norm.NFKC.String(text)
	var b strings.Builder
	ended := false // a run of digits ended: another one makes two numbers ("1 2")
	for _, r := range text {
		switch {
		case unicode.IsDigit(r):
			if ended {
				return 0, false
			}
			b.WriteByte(byte('0' + digitValue(r)))
		case unicode.Is(unicode.Cf, r):
			// Invisible direction marks and isolates (U+200F, U+2066...)
			// that come along when text is copied from an Arabic reply.
		case unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r):
			ended = b.Len() > 0
		default:
			return 0, false
		}
	}
	if b.Len() == 0 || b.Len() > 3 {
		return 0, false
	}
	n, err := strconv.Atoi(b.String())
	return n, err == nil
}

// digitValue returns the value of a decimal digit of any script: Unicode
// encodes each script's digits 0-9 as a run of ten, so the value is the
// offset in its run.
func digitValue(r rune) int {
	if r >= '0' && r <= '9' {
		return int(r - '0')
	}
	for _, rg := range unicode.Nd.R16 {
		if uint16(r) >= rg.Lo && uint16(r) <= rg.Hi && r <= 0xFFFF {
			return int(uint16(r)-rg.Lo) % 10
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if uint32(r) >= rg.Lo && uint32(r) <= rg.Hi {
			return int(uint32(r)-rg.Lo) % 10
		}
	}
	return 0
}

// fold splits text into lower-case words without accents or punctuation.
// Spacing vowel signs (Mc: the ा and ी of Hindi, the ા of Gujarati) are part
// of a word, not a break: without them हाँ (yes) and है (is) fold alike.
func fold(text string) []string {
	return strings.FieldsFunc(strings.ToLower(stripAccents(text)), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.Is(unicode.Mc, r)
	})
}

// stripAccents removes combining marks: "Menú" reads "menu". It is
// NFC(remove Mn(NFKD(text))), done in steps rather than with a
// transform.Chain: a chain keeps state, so it would be built (with its
// buffers, several KiB) on every call, and it was the engine's largest
// cost. Plain ASCII, what most replies are, has nothing to strip.
func stripAccents(text string) string {
	ascii := true
	for i := 0; i < len(text); i++ {
		if text[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return text
	}
	if !utf8.ValidString(text) {
		// Hostile input: keep the chain's exact treatment of bad bytes
		// (removing a mark between two of them must not make a letter).
		t, _, err := transform.String(transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC), text)
		if err != nil {
			return text
		}
		return t
	}
	// Valid UTF-8 from here on; strings.Map copies nothing when no mark
	// is removed.
	return norm.NFC.String(strings.Map(dropMark, norm.NFKD.String(text)))
}

func dropMark(r rune) rune {
	if unicode.Is(unicode.Mn, r) {
		return -1
	}
	return r
}

// keyword reports whether words (a text folded by fold) are one of the
// "|"-separated phrases of message id (words.yes...) in lang.
func (e *Engine) keyword(lang, id string, words []string) bool {
	if len(words) == 0 {
		return false
	}
	phrases, ok := e.phrases(lang, id)
	if !ok {
		return false
	}
	for _, p := range phrases {
		if len(p) > 0 && sameWords(words, p) {
			return true
		}
	}
	return false
}

// phrases returns the folded "|"-separated phrases of message id in lang.
// Messages do not change while the engine runs, so each list is folded
// once: folding them on every message was most of a menu reply's cost.
func (e *Engine) phrases(lang, id string) ([][]string, bool) {
	key := lang + "\x00" + id
	if v, ok := e.words.Load(key); ok {
		return v.([][]string), true
	}
	list, err := e.msgs.Text(lang, id, nil)
	if err != nil {
		e.report(err)
		return nil, false
	}
	var out [][]string
	for _, phrase := range strings.Split(list, "|") {
		out = append(out, fold(phrase))
	}
	e.words.Store(key, out)
	return out, true
}

// anyKeyword is keyword in lang or in the program's default language: the
// words for menu and language in English (or whatever the default is) work
// in every language, and Telegram's /start arrives as "start" whatever the
// resident's language.
func (e *Engine) anyKeyword(lang, id string, words []string) bool {
	if e.keyword(lang, id, words) {
		return true
	}
	def := e.available()[0]
	return def != lang && e.keyword(def, id, words)
}

// sameWords reports whether two word lists are equal, allowing a one-letter
// typo in words of four letters or more.
func sameWords(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !near(a[i], b[i]) {
			return false
		}
	}
	return true
}

// near reports whether typed word a is b, or b with one letter wrong,
// missing, extra or two letters swapped, when a has at least four letters.
func near(a, b string) bool {
	if a == b {
		return true
	}
	ra, rb := []rune(a), []rune(b)
	if len(ra) < 4 {
		return false
	}
	return distance(ra, rb) <= 1
}

// distance is the optimal string alignment distance: edits of one letter
// (insert, delete, replace) and swaps of two neighbours.
func distance(a, b []rune) int {
	if d := len(a) - len(b); d > 1 || d < -1 {
		return 2 // a cheap exit: more than one apart
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// matchLabel finds the one choice whose label the words name: the whole
// label, or words that all appear in exactly one label ("bring" for "What
// to bring"). Ambiguous words match nothing.
func matchLabel(cs []Choice, words []string) (string, bool) {
	for _, c := range cs {
		if sameWords(words, fold(c.Label)) {
			return c.ID, true
		}
	}
	found := ""
	for _, c := range cs {
		if containsAll(fold(c.Label), words) {
			if found != "" {
				return "", false
			}
			found = c.ID
		}
	}
	return found, found != ""
}

// containsAll reports whether every word is in label (typos allowed).
// Words of one or two letters ("a", "de") do not count alone.
func containsAll(label, words []string) bool {
	long := false
	for _, w := range words {
		ok := false
		for _, l := range label {
			if near(w, l) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
		if len([]rune(w)) > 2 {
			long = true
		}
	}
	return long
}
