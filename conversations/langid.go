package conversations

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/pemistahl/lingua-go"
)

// minConfidence is how sure lingua must be, among the languages that share
// the text's script, before its answer counts. Below it the message is a
// miss: the resident gets the default language with the main menu, whose
// language entry costs one message; a wrong language costs more (they may
// not read the menu at all). Measured on conversations/testdata/langid:
// see docs/LOCALES.md.
const minConfidence = 0.75

// minWords and minLetters are the least text lingua is asked about, more in
// Latin letters: there lingua chooses among many languages, and keyboard
// mash, names and codes are typed in Latin ("asdf qwer" is 83% French to it).
const (
	minWords        = 2
	minLetters      = 8
	minLatinWords   = 3
	minLatinLetters = 15
)

// identifier recognizes the language of a first message among a program's
// languages, by script first: a script only one language uses decides alone
// (Hangul is Korean, Gujarati is Gujarati); a script several use (Latin,
// Cyrillic, Arabic) goes to greetings, then to lingua restricted to those
// languages. Built once per set of languages and shared: lingua's models
// are loaded once per process.
type identifier struct {
	groups []*scriptGroup // non-Latin scripts first, in program order
	latin  *scriptGroup   // nil if no language is written in Latin
}

// scriptGroup is the program's languages written in one script.
type scriptGroup struct {
	script string
	table  *unicode.RangeTable
	langs  []string                   // program order
	lingua lingua.LanguageDetector    // nil: fewer than two languages lingua knows
	codes  map[lingua.Language]string // lingua's language -> program code
}

// identifiers caches one identifier per language set ("en:Latin,zh:Han").
var identifiers sync.Map

// identifier returns the identifier for langs, building it on first use.
func (e *Engine) identifier(langs []string) *identifier {
	var key strings.Builder
	scripts := make([]string, len(langs))
	for i, l := range langs {
		scripts[i] = e.textIn(l, "language.script", nil)
		key.WriteString(l + ":" + scripts[i] + ",")
	}
	if v, ok := identifiers.Load(key.String()); ok {
		return v.(*identifier)
	}
	id := newIdentifier(langs, scripts)
	v, _ := identifiers.LoadOrStore(key.String(), id)
	return v.(*identifier)
}

// newIdentifier groups langs by script (scripts[i] is langs[i]'s) and builds
// a lingua detector, in low-accuracy mode with its models preloaded, for each
// group of two or more. Low accuracy (trigrams only) takes a tenth of the
// memory of the full models (26 MiB against 374 for the fourteen languages),
// and first messages are short, where the two modes differ least.
func newIdentifier(langs, scripts []string) *identifier {
	id := &identifier{}
	byScript := map[string]*scriptGroup{}
	for i, l := range langs {
		table, ok := unicode.Scripts[scripts[i]]
		if !ok {
			continue
		}
		g := byScript[scripts[i]]
		if g == nil {
			g = &scriptGroup{script: scripts[i], table: table, codes: map[lingua.Language]string{}}
			byScript[scripts[i]] = g
			if scripts[i] == "Latin" {
				id.latin = g
			} else {
				id.groups = append(id.groups, g)
			}
		}
		g.langs = append(g.langs, l)
	}
	for _, g := range byScript {
		if len(g.langs) < 2 {
			continue
		}
		var known []lingua.Language
		for _, l := range g.langs {
			if ll := lingua.GetLanguageFromIsoCode639_1(lingua.GetIsoCode639_1FromValue(l)); ll != lingua.Unknown {
				known = append(known, ll)
				g.codes[ll] = l
			}
		}
		if len(known) >= 2 {
			g.lingua = lingua.NewLanguageDetectorBuilder().FromLanguages(known...).
				WithLowAccuracyMode().WithPreloadedLanguageModels().Build()
		}
	}
	return id
}

// group returns the script group text is written in: the non-Latin script
// with most letters in text if it has any (a Korean message that says
// "hello" is Korean), else Latin; nil if text has no letter of any.
func (id *identifier) group(text string) *scriptGroup {
	var best *scriptGroup
	bestN := 0
	for _, g := range id.groups {
		n := 0
		for _, r := range text {
			if unicode.Is(g.table, r) {
				n++
			}
		}
		if n > bestN {
			best, bestN = g, n
		}
	}
	if best != nil {
		return best
	}
	if id.latin != nil && strings.ContainsFunc(text, func(r rune) bool { return unicode.Is(id.latin.table, r) }) {
		return id.latin
	}
	return nil
}

// guess asks lingua which of g's languages text is in; ok only when it is
// at least minConfidence sure, and the text long enough for its n-grams to
// mean something: on one short word it will call "asdf" French.
func (g *scriptGroup) guess(text string, words []string) (string, bool) {
	letters := 0
	for _, w := range words {
		letters += utf8.RuneCountInString(w)
	}
	needWords, needLetters := minWords, minLetters
	if g.script == "Latin" {
		needWords, needLetters = minLatinWords, minLatinLetters
	}
	if g.lingua == nil || len(words) < needWords || letters < needLetters {
		return "", false
	}
	vals := g.lingua.ComputeLanguageConfidenceValues(text)
	if len(vals) == 0 || vals[0].Value() < minConfidence {
		return "", false
	}
	l, ok := g.codes[vals[0].Language()]
	return l, ok
}

// detect guesses the language of text among langs: by script; within a
// script several languages share, by greeting (the longest wins: "hello po"
// is Tagalog, "hello" English; one written as listed beats one with a typo
// forgiven, so "добрый день" is Russian and "добрий день" Ukrainian), then
// by the words common in each language (words.common: "quiero", "chce",
// "po", "mujhe"), then by lingua; then by main-menu words. A greeting of the
// default language (langs[0]) does not decide alone: "hi necesito una cita"
// is Spanish. Lingua comes last because first messages are short, where its
// guesses are weakest ("rdv svp" is Tagalog to it).
func (e *Engine) detect(langs []string, text string) (string, bool) {
	id := e.identifier(langs)
	words := fold(text)
	if g := id.group(text); g != nil {
		if len(g.langs) == 1 && g != id.latin {
			return g.langs[0], true
		}
		// Greetings in Latin letters include other scripts' languages
		// transliterated ("privet", "namaste", "kem cho").
		candidates := g.langs
		if g == id.latin {
			candidates = langs
		}
		greeted, ok := e.greeting(candidates, words)
		if ok && greeted != langs[0] {
			return greeted, true
		}
		switch l, n := e.common(candidates, words); {
		case n == 1:
			return l, true
		case n > 1:
			// As many typical words of two languages ("mujhe chahiye" is
			// Hindi and Urdu alike): asking the resident is safer than
			// lingua's guess.
			return "", false
		}
		if l, ok := g.guess(text, words); ok {
			return l, true
		}
		if ok {
			return greeted, true
		}
	}
	if len(words) == 0 {
		return "", false
	}
	for _, l := range langs {
		s := &session{lang: l}
		if _, ok := matchLabel(e.mainChoices(s), words); ok {
			return l, true
		}
	}
	return "", false
}

// common returns the language among langs with the most of its
// words.common in words, and how many languages have that most: 0 when no
// word is common in any, more than 1 on a tie.
func (e *Engine) common(langs []string, words []string) (string, int) {
	best, bestN, tied := "", 0, 0
	for _, l := range langs {
		phrases, ok := e.phrases(l, "words.common")
		if !ok {
			continue
		}
		n := 0
		for _, w := range words {
			for _, p := range phrases {
				if len(p) == 1 && p[0] == w {
					n++
					break
				}
			}
		}
		switch {
		case n == 0:
		case n > bestN:
			best, bestN, tied = l, n, 1
		case n == bestN:
			tied++
		}
	}
	return best, tied
}

// greeting returns the language among langs whose greeting the words start
// with, the longest winning, a greeting matched exactly beating one matched
// with a typo forgiven; none on a tie between two languages.
func (e *Engine) greeting(langs []string, words []string) (string, bool) {
	best, bestScore, tie := "", 0, false
	for _, l := range langs {
		n := e.greets(l, words)
		switch {
		case n > bestScore:
			best, bestScore, tie = l, n, false
		case n == bestScore && n > 0:
			tie = true
		}
	}
	return best, best != "" && !tie
}

// greets scores how well words start with one of lang's greetings: twice
// the words of the longest one matched, plus one if matched exactly; 0 for
// none.
func (e *Engine) greets(lang string, words []string) int {
	phrases, ok := e.phrases(lang, "words.greeting")
	if !ok {
		return 0
	}
	n := 0
	for _, p := range phrases {
		if len(p) == 0 || len(words) < len(p) || !sameWords(words[:len(p)], p) {
			continue
		}
		score := 2 * len(p)
		if slices.Equal(words[:len(p)], p) {
			score++
		}
		n = max(n, score)
	}
	return n
}
