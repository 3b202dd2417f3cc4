// Package locales holds cita's texts, one go-i18n message file per language
// (active.<lang>.toml), embedded in the binary. Adding a language is adding a
// file: no code knows the list. Besides sentences, the files carry what is
// language-specific but not a sentence: date and time formats, weekday and
// month names, the words residents type (yes, no, menu, greetings) and the
// script the language is written in, which the conversation engine uses to
// guess a new resident's language.
//
// English is the reference: Check reports any language that lacks a message,
// a plural form or a template variable English has.
package locales

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"text/template/parse"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"
)

//go:embed active.*.toml
var files embed.FS

// Reference is the language every other one is checked against, and the
// bundle's fallback.
const Reference = "en"

// strict makes a template that names a variable the caller did not pass fail
// instead of printing "<no value>".
var strict = &template.TextParser{Option: "missingkey=error"}

// Catalog is the loaded message files. Safe for concurrent use once loaded.
type Catalog struct {
	bundle     *i18n.Bundle
	langs      []string                            // sorted, Reference first
	localizers map[string]*i18n.Localizer          // by language code
	messages   map[string]map[string]*i18n.Message // lang -> id -> message
	// static holds, per language, the text of every message that is one
	// plain sentence (no plural forms, no template action): most menu
	// labels and keyword lists. Localize costs a few microseconds and
	// allocations a call even then, and the engine asks for a dozen of
	// these per message.
	static map[string]map[string]string // lang -> id -> text
	// clocks holds filled date and time formats (see clock).
	clocks clockCache
}

// Load parses the embedded message files.
func Load() (*Catalog, error) { return load(files) }

func load(fsys fs.FS) (*Catalog, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	names, err := fs.Glob(fsys, "active.*.toml")
	if err != nil {
		return nil, fmt.Errorf("list message files: %w", err)
	}
	c := &Catalog{
		bundle:     b,
		localizers: map[string]*i18n.Localizer{},
		messages:   map[string]map[string]*i18n.Message{},
	}
	for _, name := range names {
		f, err := b.LoadMessageFileFS(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("message file %s: %w", name, err)
		}
		// The code is the file's, as the program file writes it: go-i18n
		// canonicalizes some tags ("tl" becomes "fil"), which would then
		// match no program's languages.
		lang := strings.TrimSuffix(strings.TrimPrefix(path.Base(name), "active."), ".toml")
		if _, dup := c.messages[lang]; dup {
			return nil, fmt.Errorf("message file %s: language %s twice", name, lang)
		}
		msgs := map[string]*i18n.Message{}
		for _, m := range f.Messages {
			msgs[m.ID] = m
		}
		c.messages[lang] = msgs
		c.localizers[lang] = i18n.NewLocalizer(b, lang)
		c.langs = append(c.langs, lang)
	}
	// Filled once every file is loaded, by go-i18n itself, so a cached
	// text is exactly what Localize returns.
	c.static = map[string]map[string]string{}
	for lang, msgs := range c.messages {
		texts := map[string]string{}
		for id, m := range msgs {
			delim := m.LeftDelim
			if delim == "" {
				delim = "{{"
			}
			if isPlural(m) || strings.Contains(m.Other, delim) {
				continue
			}
			if t, err := c.localize(lang, id, nil, nil); err == nil {
				texts[id] = t
			}
		}
		c.static[lang] = texts
	}
	if _, ok := c.messages[Reference]; !ok {
		return nil, fmt.Errorf("no message file for the reference language %s", Reference)
	}
	sort.Slice(c.langs, func(i, j int) bool {
		a, b := c.langs[i], c.langs[j]
		if (a == Reference) != (b == Reference) {
			return a == Reference
		}
		return a < b
	})
	return c, nil
}

// Languages returns the language codes that have a message file, the
// reference language first, then alphabetically.
func (c *Catalog) Languages() []string { return slices.Clone(c.langs) }

// Review returns lang's review status, its message language.review:
// "reference" (English), "draft" (written by engineers, not yet read by a
// native speaker) or "reviewed YYYY-MM-DD". See docs/LOCALES.md.
func (c *Catalog) Review(lang string) string {
	s, err := c.Text(lang, "language.review", nil)
	if err != nil {
		return "draft"
	}
	return strings.TrimSpace(s)
}

// Drafts returns the languages whose texts no native speaker has reviewed
// yet, in Languages order: bot check lists them.
func (c *Catalog) Drafts() []string {
	var out []string
	for _, l := range c.langs {
		if r := c.Review(l); r != "reference" && !strings.HasPrefix(r, "reviewed ") {
			out = append(out, l)
		}
	}
	return out
}

// Has reports whether lang has a message file.
func (c *Catalog) Has(lang string) bool { _, ok := c.messages[lang]; return ok }

// Text returns message id in lang with data filled in. A message missing in
// lang is an error (go-i18n would quietly fall back to English), and so is a
// template variable missing from data.
func (c *Catalog) Text(lang, id string, data map[string]any) (string, error) {
	if t, ok := c.static[lang][id]; ok {
		return t, nil
	}
	return c.localize(lang, id, nil, data)
}

// Count returns the plural form of message id for n in lang, with data
// filled in and n available to the template as {{.Count}}. A plural form
// the language needs but the file lacks is an error.
func (c *Catalog) Count(lang, id string, n int, data map[string]any) (string, error) {
	d := make(map[string]any, len(data)+1)
	for k, v := range data {
		d[k] = v
	}
	d["Count"] = n
	return c.localize(lang, id, n, d)
}

func (c *Catalog) localize(lang, id string, count any, data map[string]any) (string, error) {
	l, ok := c.localizers[lang]
	if !ok {
		return "", fmt.Errorf("message %s: no language %q", id, lang)
	}
	if _, ok := c.messages[lang][id]; !ok {
		return "", fmt.Errorf("message %s: missing in %s", id, lang)
	}
	s, err := l.Localize(&i18n.LocalizeConfig{
		MessageID:      id,
		TemplateData:   data,
		PluralCount:    count,
		TemplateParser: strict,
	})
	if err != nil {
		return "", fmt.Errorf("message %s in %s: %w", id, lang, err)
	}
	return s, nil
}

// pluralSamples are counts that between them hit every CLDR plural form of
// the languages go-i18n knows (1000000 is Spanish and French "many").
var pluralSamples = []int{0, 1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 14, 21, 22, 25, 100, 101, 102, 103, 111, 1000, 1000000}

// Check reports, for every language, the messages English has (and the ids
// a program file needs, in every language including English) that are
// missing, plural forms the language needs and lacks, and template
// variables that differ from English. nil means every language is complete.
func (c *Catalog) Check(ids []string) error {
	ref := c.messages[Reference]
	want := map[string]bool{}
	for id := range ref {
		want[id] = true
	}
	for _, id := range ids {
		want[id] = true
	}
	wanted := make([]string, 0, len(want))
	for id := range want {
		wanted = append(wanted, id)
	}
	sort.Strings(wanted)

	var errs []error
	for _, lang := range c.langs {
		msgs := c.messages[lang]
		var missing []string
		for _, id := range wanted {
			m, ok := msgs[id]
			if !ok {
				missing = append(missing, id)
				continue
			}
			r, ok := ref[id]
			if !ok {
				continue // a program id missing in English is reported under en
			}
			if isPlural(r) {
				data := map[string]any{}
				vars, _ := variables(r)
				for _, v := range vars {
					data[v] = "x"
				}
				for _, n := range pluralSamples {
					if _, err := c.Count(lang, id, n, data); err != nil {
						errs = append(errs, fmt.Errorf("%s: message %s: plural form for %d: %w", lang, id, n, err))
						break
					}
				}
			}
			mv, err := variables(m)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: message %s: %w", lang, id, err))
				continue
			}
			if isPlural(r) {
				// A language with one form (zh: other only) has a message
				// that does not look plural, yet shows {{.Count}} as freely.
				mv = slices.DeleteFunc(mv, func(v string) bool { return v == "Count" })
			}
			if strings.HasPrefix(id, formatPrefix) {
				// Formats pick what they need (12 or 24 hour clock...)
				// from the fixed set the Date and Time methods pass: a
				// date's fields for dates, a time's for the time (clock
				// keeps filled formats under just those).
				allowed := dateVariables
				if id == timeFormat {
					allowed = timeVariables
				}
				for _, v := range mv {
					if !slices.Contains(allowed, v) {
						errs = append(errs, fmt.Errorf("%s: message %s uses %s; formats may use %v", lang, id, v, allowed))
					}
				}
				continue
			}
			if lang == Reference {
				continue
			}
			rv, err := variables(r)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: message %s: %w", Reference, id, err))
				continue
			}
			if !slices.Equal(rv, mv) {
				errs = append(errs, fmt.Errorf("%s: message %s uses variables %v, English uses %v", lang, id, mv, rv))
			}
		}
		if len(missing) > 0 {
			errs = append(errs, fmt.Errorf("%s: missing messages: %s", lang, strings.Join(missing, ", ")))
		}
		for id := range msgs {
			if _, ok := ref[id]; !ok && !want[id] {
				errs = append(errs, fmt.Errorf("%s: message %s is not in English", lang, id))
			}
		}
	}
	return errors.Join(errs...)
}

// isPlural reports whether m has plural forms besides "other".
func isPlural(m *i18n.Message) bool {
	return m.Zero != "" || m.One != "" || m.Two != "" || m.Few != "" || m.Many != ""
}

// variables returns the sorted template variables ({{.Name}}) that any form
// of m uses, Count excluded for plural messages (every form may show it or not).
func variables(m *i18n.Message) ([]string, error) {
	set := map[string]bool{}
	for _, src := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
		if !strings.Contains(src, "{{") {
			continue
		}
		// Formats may use template builtins ({{if eq .Day 1}}1er{{end}}):
		// only variables matter here, so functions are not checked.
		t := parse.New("m")
		t.Mode = parse.SkipFuncCheck
		trees := map[string]*parse.Tree{}
		if _, err := t.Parse(src, "", "", trees); err != nil {
			return nil, fmt.Errorf("template: %w", err)
		}
		for _, t := range trees {
			collect(t.Root, set)
		}
	}
	if isPlural(m) {
		delete(set, "Count")
	}
	vars := make([]string, 0, len(set))
	for v := range set {
		vars = append(vars, v)
	}
	sort.Strings(vars)
	return vars, nil
}

func collect(n parse.Node, set map[string]bool) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			collect(c, set)
		}
	case *parse.ActionNode:
		collect(n.Pipe, set)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			collect(c, set)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			collect(a, set)
		}
	case *parse.FieldNode:
		set[n.Ident[0]] = true
	case *parse.IfNode:
		collect(n.Pipe, set)
		collect(n.List, set)
		collect(n.ElseList, set)
	case *parse.RangeNode:
		collect(n.Pipe, set)
		collect(n.List, set)
		collect(n.ElseList, set)
	case *parse.WithNode:
		collect(n.Pipe, set)
		collect(n.List, set)
		collect(n.ElseList, set)
	}
}
