package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// compactSuffix joins the database's file name and a random part to name
// Compact's new file while it is written. Anything in the directory named
// so is a leftover of a compaction that did not finish (the process was
// killed, the machine lost power): a raw copy of the database, holding
// whatever it held then, possibly records deleted since.
const compactSuffix = ".compact-"

// compactStep, when set (tests), is called at each step of Compact with the
// step's name and the new file's name, so a test can kill the process
// there.
var compactStep func(step, tmp string)

// compactTxMax is how many bytes Compact copies per transaction into the
// new file. Tests lower it so the file grows step by step.
var compactTxMax int64 = 64 << 20

func step(name, tmp string) {
	if compactStep != nil {
		compactStep(name, tmp)
	}
}

// Compact rewrites the database into a new file holding only live data,
// then renames it over the old one, so that deleted appointments are
// physically gone from disk (promise P4), not just unreachable in free
// pages. Other calls wait while it runs. The new file is fsynced, and so is
// the directory after the rename.
//
// The new file stays open from its creation on, and becomes the Store's
// database after the rename: its lock is held throughout, so no other
// process can open the database between the rename and the switch.
//
// A crash at any point leaves the old database or the new one under the
// database's name, and at most a leftover new file beside it, which Open
// and the next Compact remove (see removeLeftovers).
func (s *Store) Compact() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil {
		return ErrClosed
	}
	if err := removeLeftovers(s.path); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, filepath.Base(s.path)+compactSuffix+"*")
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	name := tmp.Name()
	tmp.Close()
	var dst *bolt.DB
	renamed := false
	defer func() {
		if !renamed {
			if dst != nil {
				dst.Close()
			}
			os.Remove(name)
			syncFile(dir)
		}
	}()
	step("created", name)

	dst, err = bolt.Open(name, 0o600, &bolt.Options{Timeout: s.opts.Timeout, NoSync: s.opts.NoSync})
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	dst.AllocSize = allocSize
	step("opened", name)
	if err := bolt.Compact(dst, s.db, compactTxMax); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	step("copied", name)
	if err := dst.Sync(); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	// bolt's Sync is fdatasync; fsync the file too, size and all.
	if err := syncFile(name); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	step("synced", name)
	if err := os.Rename(name, s.path); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	renamed = true
	step("renamed", name)
	// From here the new file is the database whatever happens: switch to
	// it even if the directory sync fails.
	old := s.db
	s.db = dst
	old.Close() // the old file, unlinked by the rename, goes with it
	if err := syncFile(dir); err != nil {
		return fmt.Errorf("compact: sync directory: %w", err)
	}
	step("dir synced", name)
	return nil
}

// removeLeftovers deletes the leftovers of interrupted compactions of the
// database at path, then fsyncs the directory so the removal itself
// survives a crash. Call it only while holding the database's lock: a
// compaction in progress elsewhere would lose its new file.
func removeLeftovers(path string) error {
	dir := filepath.Dir(path)
	pattern := filepath.Join(dir, globEscape(filepath.Base(path))+compactSuffix+"*")
	names, err := filepath.Glob(pattern)
	if err != nil {
		return fmt.Errorf("find compaction leftovers: %w", err)
	}
	var errs []error
	for _, n := range names {
		if err := os.Remove(n); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if len(names) > 0 {
		errs = append(errs, syncFile(dir))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove compaction leftovers: %w", err)
	}
	return nil
}

// globEscape quotes the characters filepath.Match treats specially.
func globEscape(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', '\\':
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// syncFile fsyncs a file or directory by name.
func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
