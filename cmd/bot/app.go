package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/locales"
	"github.com/cita-city/cita/scheduling"
	"github.com/cita-city/cita/storage"
)

// dbName is the database file inside the data dir.
const dbName = "cita.db"

// app is the wired program: what serve and chat share.
type app struct {
	program  *scheduling.Program
	catalog  *locales.Catalog
	store    *storage.Store
	hasher   *identity.Keyring // rotate-key swaps its key set
	keyFile  string            // where the keys came from, for rotate-key
	bookings *scheduling.Service
	engine   *conversations.Engine
}

func (a *app) Close() error { return a.store.Close() }

// open loads the program, locales and keys and opens the database.
func (m *Main) open(c Config, log *slog.Logger) (*app, error) {
	program, err := m.loadProgram(c)
	if err != nil {
		return nil, err
	}
	catalog, err := locales.Load()
	if err != nil {
		return nil, fmt.Errorf("locales: %w", err)
	}
	keyFile, err := keyPath(c)
	if err != nil {
		return nil, err
	}
	keys, err := m.loadKeys(keyFile, c.Dev, log)
	if err != nil {
		return nil, err
	}
	store, err := m.openStore(c, program.Location)
	if err != nil {
		return nil, err
	}
	wait, err := m.admissionWait() // CITA_ADMISSION_WAIT
	if err != nil {
		store.Close()
		return nil, err
	}
	repeat, err := m.repeatWindow() // CITA_REPEAT_WINDOW
	if err != nil {
		store.Close()
		return nil, err
	}
	hasher, err := newKeyring(keys, c.Argon, wait)
	if err != nil {
		store.Close()
		return nil, fail("identity hash: %v", err)
	}
	bookings := scheduling.NewService(program, store)
	bookings.SetClosures(store)
	engine := conversations.New(countedBookings{bookings}, catalog) // counts for /metrics
	engine.OnError = func(err error) { log.Error("conversation", "err", err) }
	engine.RepeatWindow = repeat // the same text again at once acts once
	return &app{
		program:  program,
		catalog:  catalog,
		store:    store,
		hasher:   hasher,
		keyFile:  keyFile,
		bookings: bookings,
		engine:   engine,
	}, nil
}

// newKeyring returns the program's identity.Keyring for keys on an
// Admission that turns a newcomer away when their estimated wait for a
// stretch is over maxWait. Stretches and waits are timed on the wall
// clock, and counted in /metrics.
func newKeyring(keys []identity.Key, p identity.Params, maxWait time.Duration) (*identity.Keyring, error) {
	return identity.NewKeyring(keys, p, identity.NewAdmission(identity.AdmissionConfig{
		MaxWait: maxWait,
		Now:     time.Now,
		Observe: admissionObserver(),
	}))
}

func (m *Main) loadProgram(c Config) (*scheduling.Program, error) {
	if c.Program == "" {
		return scheduling.Load(scheduling.DemoName, scheduling.DemoProgram)
	}
	data, err := os.ReadFile(c.Program)
	if err != nil {
		return nil, fail("program file: %v", err)
	}
	p, err := scheduling.Load(c.Program, data)
	if err != nil {
		return nil, fail("%v", err)
	}
	return p, nil
}

// programStore loads the program and opens the database in its time zone:
// what the operator commands that read or change appointments need.
func (m *Main) programStore(c Config) (*scheduling.Program, *storage.Store, error) {
	program, err := m.loadProgram(c)
	if err != nil {
		return nil, nil, err
	}
	store, err := m.openStore(c, program.Location)
	if err != nil {
		return nil, nil, err
	}
	return program, store, nil
}

// openStore opens the database in the data dir, creating the dir if needed.
func (m *Main) openStore(c Config, loc *time.Location) (*storage.Store, error) {
	if err := os.MkdirAll(c.Data, 0o700); err != nil {
		return nil, fail("data dir: %v", err)
	}
	path := filepath.Join(c.Data, dbName)
	s, err := storage.Open(path, storage.Options{Timeout: time.Second, Location: loc})
	switch {
	case errors.Is(err, storage.ErrLocked):
		return nil, fail("%s is in use by another process (is bot serve running? talk to it with: bot chat --server http://localhost:8080)", path)
	case errors.Is(err, storage.ErrCorrupt):
		return nil, fail("%s is damaged: %v. Stop cita, move the file aside and restore the last backup of the data dir; cita does not repair it in place", path, err)
	case err != nil:
		return nil, fail("open %s: %v", path, err)
	}
	return s, nil
}

// keyPath resolves the key file: the configured one, or in --dev mode a key
// inside the data dir.
func keyPath(c Config) (string, error) {
	if c.KeyFile == "" {
		if !c.Dev {
			return "", fail("no key file: set CITA_KEY_FILE or --key-file (create one with: bot keygen --key-file PATH, on a disk other than the data dir)")
		}
		return filepath.Join(c.Data, devKeyName), nil
	}
	if !c.Dev && inside(c.KeyFile, c.Data) {
		return "", fail("key file %s is inside the data dir %s: anyone with a copy of the data would hold the key too. Keep it elsewhere (or pass --dev on a developer machine)", c.KeyFile, c.Data)
	}
	return c.KeyFile, nil
}

// inside reports whether path lies within dir.
func inside(path, dir string) bool {
	p, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	if rp, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
		p = filepath.Join(rp, filepath.Base(p))
	}
	if rd, err := filepath.EvalSymlinks(d); err == nil {
		d = rd
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// loadKeys reads the key file at path (see keyPath); in --dev mode it
// makes one when missing.
func (m *Main) loadKeys(path string, dev bool, log *slog.Logger) ([]identity.Key, error) {
	if dev {
		log.Warn("DEVELOPER MODE: the hash key sits next to the data; anyone with a copy of the data dir can link appointments to phone numbers. Never use --dev in production.", "key_file", path)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return nil, fail("key file: %v", err)
			}
			if err := m.writeNewKey(path); err != nil {
				return nil, err
			}
		}
	}
	// A key-file write that died (rotate-key, keygen) may have left a temp
	// file with key bytes beside the key file: remove it before anything
	// else. A directory we may not write to (a systemd credential) cannot
	// hold one, so a failure here is not fatal.
	if err := identity.RemoveKeyStrays(identity.OS, path); err != nil {
		log.Warn("key file: leftovers of an earlier write not removed", "err", err)
	}
	return readKeys(path)
}

// readKeys reads and parses the key file at path, refusing one that other
// users can read. Errors never quote the file's content.
func readKeys(path string) ([]identity.Key, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fail("key file: %v", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fail("key file %s can be read by other users (mode %v): run chmod 600 %s", path, info.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fail("key file: %v", err)
	}
	keys, err := identity.ParseKeys(data)
	if err != nil {
		return nil, fail("key file %s: %v", path, err)
	}
	return keys, nil
}

// writeNewKey writes a key file holding one new epoch, refusing to
// overwrite an existing file. A crash leaves no file or a complete one
// (identity.CreateKeyFile).
func (m *Main) writeNewKey(path string) error {
	k, err := identity.NewKey(1, scheduling.DateOf(m.Now()), rand.Reader)
	if err != nil {
		return fail("new key: %v", err)
	}
	err = identity.CreateKeyFile(identity.OS, path, []identity.Key{k})
	if errors.Is(err, identity.ErrKeyFileExists) {
		return fail("%s exists; refusing to overwrite a key (appointments hashed with it would be lost)", path)
	}
	if err != nil {
		return fail("key file: %v", err)
	}
	return nil
}

// logger returns the operator log: text on stderr, never with resident data.
func (m *Main) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(m.Stderr, nil))
}
