package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/cita-city/cita/clerk"
	"github.com/cita-city/cita/storage"
)

// The store keeps the waiting-room screens' token hashes.
var _ clerk.LobbyTokens = (*storage.Store)(nil)

const lobbyUsage = `usage: bot lobby-token OFFICE [--revoke]
  prints a new display token for OFFICE's waiting-room screen and its URL
  (any older token stops working); --revoke removes the token instead`

// lobbyToken makes (or revokes) an office's waiting-room display token.
// The token is printed once and only its SHA-256 is stored.
func (m *Main) lobbyToken(ctx context.Context, args []string) error {
	var c Config
	fs := m.flagSet("lobby-token", &c)
	revoke := fs.Bool("revoke", false, "remove the office's token: its screens get 403")
	fs.Usage = func() { fmt.Fprintln(m.Stderr, lobbyUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return &exitError{code: 0}
		}
		return &exitError{code: 2}
	}
	if fs.NArg() == 0 {
		return usageError("name the office\n%s", lobbyUsage)
	}
	office := fs.Arg(0)
	if err := parse(fs, fs.Args()[1:]); err != nil { // flags after the office
		return err
	}
	program, store, err := m.programStore(c)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, ok := program.Office(office); !ok {
		return usageError("no office %q in %s", office, program.Source)
	}
	if *revoke {
		if err := store.RevokeLobbyToken(office); err != nil {
			return fail("%v", err)
		}
		fmt.Fprintf(m.Stdout, "revoked the waiting-room token of %s: its screens now get 403\n", office)
		return nil
	}
	token, hash := clerk.NewLobbyToken()
	if err := store.SetLobbyToken(office, hash); err != nil {
		return fail("%v", err)
	}
	base := m.env("CITA_PUBLIC_URL", "")
	if base == "" {
		base = "http://localhost:8080"
	}
	fmt.Fprintf(m.Stdout, "token %s\nurl %s\n", token, clerk.LobbyURL(base, office, token))
	fmt.Fprintln(m.Stderr, "Shown only now: only its hash is kept. Any older token of this office stops working.")
	return nil
}
