package sms

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/locales"
	"github.com/cita-city/cita/scheduling"
)

// maxSegments is the most a reply may take in any language: a resident on
// a pay-per-message plan pays for each.
const maxSegments = 3

// realistic returns template data at its longest: the longest office name
// as residents of lang see it (a language without its own name for an
// office gets the default one), the longest address, a long date and time,
// the largest count.
func realistic(c *locales.Catalog, p *scheduling.Program, lang string) map[string]any {
	// Wednesday 30 December 2026, 12:45: long weekday, long month, two-digit day.
	when := time.Date(2026, 12, 30, 12, 45, 0, 0, p.Location)
	var office, address string
	for _, o := range p.Offices {
		if n := o.Name(lang); len([]rune(n)) > len([]rune(office)) {
			office = n
		}
		if len(o.Address) > len(address) {
			address = o.Address
		}
	}
	return map[string]any{
		"Program": p.Name, "Code": "WXYZ78", "Office": office, "Address": address,
		"Date": c.Date(lang, when), "Time": c.Time(lang, when), "Count": 30,
		"Name":     "Proof of identity",
		"Examples": "passport, consular ID, driver's license or state ID",
		"Days":     "Mon-Fri", "Times": "10:00 AM-1:00 PM, 2:00 PM-6:00 PM",
		"Reason": "Martin Luther King Jr. Day",
		"Max":    scheduling.MaxPartyLimit,
	}
}

// messageIDs reads the ids of every message in the locale files.
func messageIDs(t *testing.T) []string {
	t.Helper()
	var ids []string
	files, err := filepath.Glob("../../locales/active.*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("locale files: %v (%d found)", err, len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := toml.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for id := range m {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	return ids
}

// TestSMSTextsFit checks this channel's own texts as sent: with the
// program's real offices, every office's reminder in every language.
func TestSMSTextsFit(t *testing.T) {
	c, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	p := scheduling.Demo()
	when := time.Date(2026, 12, 30, 12, 45, 0, 0, p.Location)
	for _, lang := range c.Languages() {
		for _, id := range []string{"sms.help", "sms.start", "sms.mms"} {
			s, err := c.Text(lang, id, map[string]any{"Program": p.Name})
			if err != nil {
				t.Fatalf("%s %s: %v", lang, id, err)
			}
			if n, enc := Segments(s); n > maxSegments {
				t.Errorf("%s %s: %d %s segments:\n%s", lang, id, n, enc, s)
			}
		}
		for _, o := range p.Offices {
			s, err := c.Text(lang, "sms.reminder", map[string]any{
				"Program": p.Name, "Code": "WXYZ78", "Office": o.Names[lang], "Address": o.Address,
				"Date": c.Date(lang, when), "Time": c.Time(lang, when),
			})
			if err != nil {
				t.Fatalf("%s sms.reminder: %v", lang, err)
			}
			if n, enc := Segments(s); n > maxSegments {
				t.Errorf("%s reminder for %s: %d %s segments:\n%s", lang, o.ID, n, enc, s)
			}
		}
	}
}

// TestMainMenuFits checks the longest reply every resident sees first: the
// welcome with the main menu as a numbered list, as SMS shows it.
func TestMainMenuFits(t *testing.T) {
	c, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	p := scheduling.Demo()
	ids := []string{"menu.eligibility", "menu.documents", "menu.offices", "menu.book", "menu.appointment", "menu.language", "menu.forget"}
	for _, lang := range c.Languages() {
		welcome, err := c.Text(lang, "welcome", map[string]any{"Program": p.Name})
		if err != nil {
			t.Fatal(err)
		}
		r := conversations.Reply{Lang: lang, Text: welcome}
		for i, id := range ids {
			label, err := c.Text(lang, id, nil)
			if err != nil {
				t.Fatal(err)
			}
			choice := conversations.Choice{ID: fmt.Sprint(i + 1), Label: label}
			if id == "menu.forget" {
				choice.ID = "0"
			}
			r.Choices = append(r.Choices, choice)
		}
		s := conversations.Render(r)
		if n, enc := Segments(s); n > maxSegments {
			t.Errorf("%s welcome + menu: %d %s segments, want at most %d:\n%s", lang, n, enc, maxSegments, s)
		}
	}
}
