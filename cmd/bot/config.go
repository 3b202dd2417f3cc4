package main

import (
	"errors"
	"flag"
	"strconv"

	"github.com/cita-city/cita/identity"
)

// Config is everything an operator can set. Every flag has an environment
// variable; the flag wins. Secrets come from files or env and are never printed.
type Config struct {
	Program    string // program file (CITA_CONFIG); the embedded demo when empty
	Data       string // data dir (CITA_DATA)
	KeyFile    string // hash key file (CITA_KEY_FILE); outside Data unless Dev
	Addr       string // listen address (CITA_ADDR)
	PublicURL  string // public base URL, for webhook signatures (CITA_PUBLIC_URL)
	LocalToken string // token for the local chat channel (CITA_LOCAL_TOKEN)
	Dev        bool   // developer mode (CITA_DEV=1)
	Argon      identity.Params

	MetricsAddr   string // listen address of GET /metrics alone (CITA_METRICS_ADDR); empty: on Addr
	MaxConns      int    // most open client connections (CITA_MAX_CONNS); 0: the default
	BodyBudgetMiB uint32 // request bodies in memory at once (CITA_BODY_BUDGET_MIB)
}

// defaults returns the configuration with nothing set.
func defaults() Config {
	return Config{Data: "data", Addr: ":8080", Argon: identity.DefaultParams()}
}

// devKeyName is the key file made inside the data dir in --dev mode.
const devKeyName = "dev.key"

// flagSet returns a FlagSet for cmd with the flags every command shares,
// each defaulting to its environment variable.
func (m *Main) flagSet(cmd string, c *Config) *flag.FlagSet {
	*c = defaults()
	fs := flag.NewFlagSet("bot "+cmd, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.StringVar(&c.Program, "config", m.env("CITA_CONFIG", ""), "program file, TOML (env CITA_CONFIG; default: the embedded demo program)")
	fs.StringVar(&c.Data, "data", m.env("CITA_DATA", c.Data), "data dir holding the database (env CITA_DATA)")
	fs.StringVar(&c.KeyFile, "key-file", m.env("CITA_KEY_FILE", ""), "hash key file, kept off the data disk (env CITA_KEY_FILE)")
	fs.BoolVar(&c.Dev, "dev", m.env("CITA_DEV", "") == "1", "developer mode: key file may live in the data dir, local chat needs no token (env CITA_DEV=1)")
	c.Argon.Memory = m.envUint32("CITA_ARGON2_MEMORY", c.Argon.Memory)
	c.Argon.Time = m.envUint32("CITA_ARGON2_TIME", c.Argon.Time)
	fs.Var((*uint32Value)(&c.Argon.Memory), "argon2-memory", "argon2id memory in KiB; changing it unlinks stored appointments (env CITA_ARGON2_MEMORY)")
	fs.Var((*uint32Value)(&c.Argon.Time), "argon2-time", "argon2id passes; changing it unlinks stored appointments (env CITA_ARGON2_TIME)")
	return fs
}

// parse parses args and turns flag errors into usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return &exitError{code: 0}
		}
		return &exitError{code: 2}
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

func (m *Main) env(name, def string) string {
	if v := m.Getenv(name); v != "" {
		return v
	}
	return def
}

// numericEnv are the variables that must hold a positive whole number when set.
var numericEnv = []string{"CITA_ARGON2_MEMORY", "CITA_ARGON2_TIME", "CITA_KEY_ROTATE_DAYS", "CITA_MAX_CONNS", "CITA_BODY_BUDGET_MIB"}

// checkEnv refuses a malformed numeric variable rather than quietly running
// on the default: a mistyped argon2 setting would unlink every appointment.
func (m *Main) checkEnv() error {
	for _, name := range numericEnv {
		if v := m.Getenv(name); v != "" {
			if _, err := positiveUint32(v); err != nil {
				return usageError("%s=%q: %v", name, v, err)
			}
		}
	}
	return nil
}

// positiveUint32 parses a positive whole number, as flags and variables
// that set a count must hold.
func positiveUint32(s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil || v == 0 {
		return 0, errors.New("want a positive whole number")
	}
	return uint32(v), nil
}

// envUint32 reads a numeric variable checked by checkEnv, or def when unset.
func (m *Main) envUint32(name string, def uint32) uint32 {
	v, err := strconv.ParseUint(m.Getenv(name), 10, 32)
	if err != nil {
		return def
	}
	return uint32(v)
}

type uint32Value uint32

func (u *uint32Value) String() string { return strconv.FormatUint(uint64(*u), 10) }

func (u *uint32Value) Set(s string) error {
	v, err := positiveUint32(s)
	if err != nil {
		return err
	}
	*u = uint32Value(v)
	return nil
}

type intValue int

func (u *intValue) String() string { return strconv.Itoa(int(*u)) }

func (u *intValue) Set(s string) error {
	v, err := positiveUint32(s)
	if err != nil {
		return err
	}
	*u = intValue(v)
	return nil
}
