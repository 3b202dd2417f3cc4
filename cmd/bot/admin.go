package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cita-city/cita/locales"
	"github.com/cita-city/cita/scheduling"
)

func (m *Main) inspect(ctx context.Context, args []string) error {
	var c Config
	fs := m.flagSet("inspect", &c)
	if err := parse(fs, args); err != nil {
		return err
	}
	_, store, err := m.programStore(c)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Inspect(m.Stdout); err != nil {
		return err
	}
	printEpochs(m.Stdout, c, store)
	return nil
}

func (m *Main) keygen(ctx context.Context, args []string) error {
	var c Config
	fs := m.flagSet("keygen", &c)
	if err := parse(fs, args); err != nil {
		return err
	}
	if c.KeyFile == "" {
		return usageError("name the file to write: --key-file PATH or CITA_KEY_FILE")
	}
	path, err := keyPath(c)
	if err != nil {
		return err
	}
	if err := m.writeNewKey(path); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "wrote a new key to %s (mode 0600). Keep it off the data disk and out of its backups.\n", path)
	return nil
}

func (m *Main) check(ctx context.Context, args []string) error {
	var c Config
	fs := m.flagSet("check", &c)
	if err := parse(fs, args); err != nil {
		return err
	}
	program, err := m.loadProgram(c)
	if err != nil {
		return err
	}
	catalog, err := locales.Load()
	if err != nil {
		return fail("locales: %v", err)
	}
	var problems []string
	for _, lang := range program.Languages {
		if !slices.Contains(catalog.Languages(), lang) {
			problems = append(problems, fmt.Sprintf("%s: languages: no locale file locales/active.%s.toml for %q", program.Source, lang, lang))
		}
	}
	if err := catalog.Check(programMessageIDs(program)); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return fail("%s", strings.Join(problems, "\n"))
	}
	fmt.Fprintf(m.Stdout, "%s: ok (%d offices, %d closures, languages %s)\nlocales: ok (%s)\n",
		program.Source, len(program.Offices), len(program.Closures), strings.Join(program.Languages, ", "), strings.Join(catalog.Languages(), ", "))
	if d := catalog.Drafts(); len(d) > 0 {
		// Not a failure: drafts ship, but someone should know (docs/LOCALES.md).
		fmt.Fprintf(m.Stdout, "locales: drafts no native speaker has reviewed: %s\n", strings.Join(d, ", "))
	}
	return nil
}

// programMessageIDs lists the message ids the program file refers to, which
// every locale must define.
func programMessageIDs(p *scheduling.Program) []string {
	var ids []string
	for _, q := range p.Eligibility {
		ids = append(ids, q.ID, q.No)
	}
	for _, d := range p.Documents {
		ids = append(ids, d.ID, d.Examples)
	}
	for _, c := range p.Closures {
		if c.Reason != "" {
			ids = append(ids, c.Reason)
		}
	}
	return ids
}
