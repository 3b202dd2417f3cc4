package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"

	"github.com/cita-city/cita/channels/twilio"
	"github.com/cita-city/cita/clerk"
	"github.com/cita-city/cita/scheduling"
	"github.com/cita-city/cita/storage"
)

// The store is what the clerk pages keep accounts, closures and the audit
// log in.
var (
	_ clerk.Accounts = (*storage.Store)(nil)
	_ clerk.Closures = (*storage.Store)(nil)
	_ clerk.Audit    = (*storage.Store)(nil)
	// Days closed there are closed to residents too (app.go wires it).
	_ scheduling.Closures = (*storage.Store)(nil)
	// The SMS channel tells residents of a closed day.
	_ clerk.Notifier = (*twilio.Channel)(nil)
)

const clerkUsage = `usage:
  bot clerk add NAME [--role clerk|manager]   create an account or reset its password (read from stdin)
  bot clerk remove NAME                       delete an account (its sessions end at once)
  bot clerk list                              list accounts and roles`

// clerkCmd manages clerk accounts. The password is read from stdin: one
// line, never echoed (on a terminal echo is turned off), never logged, and
// stored only as an argon2id hash.
func (m *Main) clerkCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(m.Stderr, clerkUsage)
		if len(args) == 0 {
			return &exitError{code: 2}
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	var c Config
	fs := m.flagSet("clerk "+sub, &c)
	role := fs.String("role", clerk.RoleClerk, "role of the account: clerk or manager (add only)")
	name, err := parseWithName(fs, rest, sub != "list")
	if err != nil {
		return err
	}
	if sub != "add" && *role != clerk.RoleClerk {
		return usageError("--role only goes with add")
	}
	switch sub {
	case "add", "remove", "list":
	default:
		return usageError("unknown clerk command %q\n%s", sub, clerkUsage)
	}
	if sub == "add" {
		if *role != clerk.RoleClerk && *role != clerk.RoleManager {
			return usageError("--role must be clerk or manager, not %q", *role)
		}
		if err := storage.CheckClerkName(name); err != nil {
			return usageError("%v", err)
		}
	}
	_, store, err := m.programStore(c)
	if err != nil {
		return err
	}
	defer store.Close()

	switch sub {
	case "add":
		password, err := m.readPassword()
		if err != nil {
			return err
		}
		hash, err := clerk.HashPassword(password)
		if err != nil {
			return fail("%v", err)
		}
		replaced, err := store.PutClerk(storage.ClerkAccount{Name: name, Role: *role, Hash: hash})
		if err != nil {
			return fail("%v", err)
		}
		if replaced {
			fmt.Fprintf(m.Stdout, "updated clerk %s (%s): new password set\n", name, *role)
		} else {
			fmt.Fprintf(m.Stdout, "added clerk %s (%s)\n", name, *role)
		}
	case "remove":
		err := store.RemoveClerk(name)
		if errors.Is(err, storage.ErrNoClerk) {
			return fail("no clerk named %q", name)
		} else if err != nil {
			return fail("%v", err)
		}
		fmt.Fprintf(m.Stdout, "removed clerk %s\n", name)
	case "list":
		list, err := store.Clerks()
		if err != nil {
			return fail("%v", err)
		}
		if len(list) == 0 {
			fmt.Fprintln(m.Stdout, "no clerk accounts (add one with: bot clerk add NAME)")
			return nil
		}
		tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE")
		for _, a := range list {
			fmt.Fprintf(tw, "%s\t%s\n", a.Name, a.Role)
		}
		return tw.Flush()
	}
	return nil
}

// parseWithName parses flags that may come before or after one NAME
// argument (Go's flag package stops at the first argument).
func parseWithName(fs *flag.FlagSet, args []string, wantName bool) (string, error) {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return "", &exitError{code: 0}
		}
		return "", &exitError{code: 2}
	}
	var name string
	if fs.NArg() > 0 {
		name = fs.Arg(0)
		if err := parse(fs, fs.Args()[1:]); err != nil {
			return "", err
		}
		if !wantName {
			return "", usageError("unexpected argument %q", name)
		}
	}
	if wantName && name == "" {
		return "", usageError("name the clerk account\n%s", clerkUsage)
	}
	return name, nil
}

// readPassword reads the new password: one line from stdin. On a terminal
// it asks twice with echo off.
func (m *Main) readPassword() (string, error) {
	f, ok := m.Stdin.(*os.File)
	tty := false
	if ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	r := bufio.NewReader(m.Stdin)
	if !tty {
		pw, err := readLine(r)
		if err != nil {
			return "", fail("read the password from stdin: %v", err)
		}
		return pw, nil
	}
	if err := stty(f, "-echo"); err != nil {
		return "", fail("cannot turn off echo on this terminal (%v); pipe the password in instead", err)
	}
	defer func() {
		stty(f, "echo")
		fmt.Fprintln(m.Stderr)
	}()
	fmt.Fprintf(m.Stderr, "Password (at least %d characters, not shown): ", clerk.MinPasswordLen)
	pw, err := readLine(r)
	if err != nil {
		return "", fail("read the password: %v", err)
	}
	fmt.Fprint(m.Stderr, "\nSame password again: ")
	again, err := readLine(r)
	if err != nil {
		return "", fail("read the password: %v", err)
	}
	if pw != again {
		return "", fail("the two passwords differ; nothing was changed")
	}
	return pw, nil
}

func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		if err == io.EOF {
			return "", errors.New("no password given")
		}
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// stty runs stty on the terminal f: no dependency for one setting.
func stty(f *os.File, arg string) error {
	cmd := exec.Command("stty", arg)
	cmd.Stdin = f
	return cmd.Run()
}

// clerkHandler builds the clerk web app over the wired program, to mount
// at /clerk/ and /lobby/ (the waiting-room screens). When a manager closes a day, smsCh (nil without Twilio)
// cancels the reminders of its appointments and tells those residents;
// the others cannot be reached, and the page says how many.
func (m *Main) clerkHandler(a *app, c Config, log *slog.Logger, smsCh *twilio.Channel) (http.Handler, error) {
	proxies, err := trustedProxies(m.Getenv("CITA_TRUSTED_PROXIES"))
	if err != nil {
		return nil, usageError("CITA_TRUSTED_PROXIES: %v", err)
	}
	cfg := clerk.Config{
		Program:   a.program,
		Store:     a.store,
		Bookings:  a.bookings,
		IDs:       a.hasher,
		Accounts:  a.store,
		Closures:  a.store,
		Audit:     a.store,
		Lobby:     a.store,
		Counters:  counters{a.store},
		Now:       m.Now,
		PlainHTTP: plainHTTP(c),
		Log:       log,

		TrustedProxies: proxies,
	}
	if smsCh != nil { // never a typed nil in the interface
		cfg.Notifier = smsCh
	}
	h, err := clerk.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("clerk web: %w", err)
	}
	return h, nil
}

// trustedProxies parses CITA_TRUSTED_PROXIES: addresses or CIDR prefixes,
// comma-separated, of the reverse proxies whose X-Forwarded-For the clerk
// sign-in lockout may believe. Unset, nobody's is.
func trustedProxies(v string) ([]netip.Prefix, error) {
	var list []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			list = append(list, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or a prefix such as 10.0.0.0/8", f)
		}
		list = append(list, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return list, nil
}

// plainHTTP reports whether the clerk cookie may go without Secure: only in
// developer mode or when the public URL is plain http on this machine.
// Behind a TLS proxy set CITA_PUBLIC_URL to the https URL.
func plainHTTP(c Config) bool {
	if c.PublicURL == "" {
		return c.Dev
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || u.Scheme != "http" {
		return false
	}
	switch u.Hostname() {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}
