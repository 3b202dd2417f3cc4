package storage

import (
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Compact rewrites the database into a new file holding only live data,
// then renames it over the old one, so that deleted appointments are
// physically gone from disk (promise P4), not just unreachable in free
// pages. Other calls wait while it runs. The new file is fsynced, and so is
// the directory after the rename. Between closing the old file and
// reopening the new one the lock is released for an instant.
func (s *Store) Compact() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil {
		return ErrClosed
	}
	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, filepath.Base(s.path)+".compact-*")
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	name := tmp.Name()
	tmp.Close()
	renamed := false
	defer func() {
		if !renamed {
			os.Remove(name)
		}
	}()

	dst, err := bolt.Open(name, 0o600, &bolt.Options{Timeout: s.opts.Timeout, NoSync: s.opts.NoSync})
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	dst.AllocSize = allocSize
	if err := bolt.Compact(dst, s.db, 64<<20); err != nil {
		dst.Close()
		return fmt.Errorf("compact: %w", err)
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return fmt.Errorf("compact: %w", err)
	}
	if err := dst.Close(); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	if err := syncFile(name); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	if err := os.Rename(name, s.path); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	renamed = true
	// The old file (now unlinked) is closed only after the rename, so the
	// name is never without a complete database.
	s.db.Close()
	s.db = nil
	db, err := s.open()
	if err != nil {
		return fmt.Errorf("compact: reopen: %w", err)
	}
	s.db = db
	if err := syncFile(dir); err != nil {
		return fmt.Errorf("compact: sync directory: %w", err)
	}
	return nil
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
