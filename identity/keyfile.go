package identity

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Files is what writing a key file needs of a filesystem: the few calls
// WriteKeyFile, CreateKeyFile and RemoveKeyStrays make, so that a test can
// fail or "crash" at each one in turn. OS is the real one.
type Files interface {
	// CreateTemp creates a new file, mode 0600, as os.CreateTemp does.
	CreateTemp(dir, pattern string) (File, error)
	// OpenWrite opens an existing file for writing, without truncating it.
	OpenWrite(name string) (File, error)
	Rename(from, to string) error
	// Link makes to a second name of from, failing if to exists.
	Link(from, to string) error
	Remove(name string) error
	// SyncDir fsyncs the directory, so renames, links and removals in it
	// survive a crash.
	SyncDir(dir string) error
	// ReadDir lists the names in dir.
	ReadDir(dir string) ([]string, error)
	// SameFile reports whether a and b name one file (hard links).
	SameFile(a, b string) bool
}

// File is an open file of Files.
type File interface {
	Name() string
	Write(p []byte) (int, error)
	WriteAt(p []byte, off int64) (int, error)
	Size() (int64, error)
	Sync() error
	Close() error
}

// OS is Files on the operating system's filesystem.
var OS Files = osFiles{}

type osFiles struct{}

type osFile struct{ *os.File }

func (f osFile) Size() (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func (osFiles) CreateTemp(dir, pattern string) (File, error) {
	f, err := os.CreateTemp(dir, pattern) // mode 0600
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osFiles) OpenWrite(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osFiles) Rename(from, to string) error { return os.Rename(from, to) }
func (osFiles) Link(from, to string) error   { return os.Link(from, to) }
func (osFiles) Remove(name string) error     { return os.Remove(name) }

func (osFiles) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (osFiles) SameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

func (osFiles) ReadDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, err
}

// ErrKeyFileExists: CreateKeyFile found a file under the name already.
var ErrKeyFileExists = errors.New("key file exists")

// strayPrefix starts the name of the temp file a key file is written to,
// beside it: "." + base name + strayPrefix + random. Anything named so is
// left over from a write that did not finish, and may hold key bytes.
const strayPrefix = ".tmp-"

func tempPattern(path string) string { return "." + filepath.Base(path) + strayPrefix + "*" }

func isStray(path, name string) bool {
	return strings.HasPrefix(name, "."+filepath.Base(path)+strayPrefix)
}

// WriteKeyFile replaces the key file at path with keys (MarshalKeys), so
// that at every moment, crash or not, path holds either the old keys or the
// new ones, and no other file holds key bytes once the next WriteKeyFile
// or RemoveKeyStrays has run:
//
//  1. strays of earlier writes are removed (RemoveKeyStrays);
//  2. the keys go to a new temp file (mode 0600) beside path, fsynced;
//  3. it is renamed over path, and the directory fsynced;
//  4. the old file's bytes, reached through a descriptor opened before the
//     rename, are overwritten with zeros, so a destroyed key does not
//     linger in the old inode.
//
// On an error the temp file is overwritten and removed. The filesystem may
// still keep copies (journal, SSD remapping, snapshots): docs/PRIVACY.md
// asks for the key on tmpfs or a systemd credential for that reason.
// Errors name the step, never a key.
func WriteKeyFile(fsys Files, path string, keys []Key) error {
	if len(keys) == 0 {
		return errors.New("identity: write key file: no keys")
	}
	if err := RemoveKeyStrays(fsys, path); err != nil {
		return fmt.Errorf("identity: write key file: %w", err)
	}
	tmp, err := writeTemp(fsys, path, MarshalKeys(keys))
	if err != nil {
		return fmt.Errorf("identity: write key file: %w", err)
	}
	old, err := fsys.OpenWrite(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		discard(fsys, path, tmp)
		return fmt.Errorf("identity: write key file: open the old file: %w", err)
	}
	if err := fsys.Rename(tmp, path); err != nil {
		if old != nil {
			old.Close()
		}
		discard(fsys, path, tmp)
		return fmt.Errorf("identity: write key file: rename: %w", err)
	}
	serr := fsys.SyncDir(filepath.Dir(path))
	if old != nil {
		if err := zeroAndClose(old); err != nil {
			return fmt.Errorf("identity: write key file: overwrite the old file: %w", err)
		}
	}
	if serr != nil {
		return fmt.Errorf("identity: write key file: sync directory: %w", serr)
	}
	return nil
}

// CreateKeyFile writes keys to a new key file at path, failing with
// ErrKeyFileExists if one is there: a key must never be overwritten by
// mistake, since appointments hashed with it could no longer be found.
// Like WriteKeyFile it writes a temp file first, so a crash leaves either
// no key file or a complete one, never a partial one; then it links the
// temp file under path (refusing an existing name) and removes it.
func CreateKeyFile(fsys Files, path string, keys []Key) error {
	if len(keys) == 0 {
		return errors.New("identity: create key file: no keys")
	}
	if err := RemoveKeyStrays(fsys, path); err != nil {
		return fmt.Errorf("identity: create key file: %w", err)
	}
	tmp, err := writeTemp(fsys, path, MarshalKeys(keys))
	if err != nil {
		return fmt.Errorf("identity: create key file: %w", err)
	}
	if err := fsys.Link(tmp, path); err != nil {
		discard(fsys, path, tmp)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("identity: create key file: %w", ErrKeyFileExists)
		}
		return fmt.Errorf("identity: create key file: link: %w", err)
	}
	// The temp name is only a second name of the key file now: removing it
	// leaves the bytes in place under path.
	rerr := fsys.Remove(tmp)
	if err := fsys.SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("identity: create key file: sync directory: %w", err)
	}
	if rerr != nil {
		return fmt.Errorf("identity: create key file: remove the temp name: %w", rerr)
	}
	return nil
}

// RemoveKeyStrays removes what unfinished writes of the key file at path
// left beside it (temp files, complete, partial or empty), overwriting
// their bytes with zeros first, then fsyncs the directory. Call it at start
// before reading the key file; WriteKeyFile and CreateKeyFile call it
// before they write.
//
// Another process may be writing the key file at this moment (bot serve
// rotating while an operator runs a command), and its temp file looks like
// a stray. Each stray is therefore first claimed by renaming it to a name
// of its own: if the writer renamed it into place first, the claim fails
// and nothing is touched; if the claim wins, the writer's rename fails and
// its write reports an error, leaving the old key file whole. So a key
// file is never zeroed by mistake.
func RemoveKeyStrays(fsys Files, path string) error {
	dir := filepath.Dir(path)
	names, err := fsys.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("remove key strays: %w", err)
	}
	var errs []error
	removed := false
	for _, n := range names {
		if !isStray(path, n) {
			continue
		}
		name := filepath.Join(dir, n)
		claimed := name + claimSuffix
		if strings.HasSuffix(n, claimSuffix) {
			claimed = name // claimed by a clean-up that died: ours now
		} else if err := fsys.Rename(name, claimed); err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		if f, err := fsys.OpenWrite(claimed); err == nil {
			// The stray may be a second name of the key file itself
			// (CreateKeyFile died between link and remove): then its bytes
			// are the key file's, and stay.
			if fsys.SameFile(claimed, path) {
				f.Close()
			} else {
				errs = append(errs, zeroAndClose(f))
			}
		}
		if err := fsys.Remove(claimed); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = true
	}
	if removed {
		errs = append(errs, fsys.SyncDir(dir))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove key strays: %w", err)
	}
	return nil
}

// claimSuffix marks a stray that a clean-up has taken over (see
// RemoveKeyStrays); it still starts like a stray, so a clean-up that dies
// is finished by the next one.
const claimSuffix = ".discard"

// writeTemp writes data to a new temp file beside path and fsyncs it,
// returning its name. On an error nothing is left behind (if the calls to
// clean up succeed).
func writeTemp(fsys Files, path string, data []byte) (string, error) {
	f, err := fsys.CreateTemp(filepath.Dir(path), tempPattern(path))
	if err != nil {
		return "", fmt.Errorf("create temp file: %w", err)
	}
	name := f.Name()
	if _, err := f.Write(data); err != nil {
		zeroAndClose(f)
		discard(fsys, path, name)
		return "", fmt.Errorf("write temp file: %w", err)
	}
	if err := f.Sync(); err != nil {
		zeroAndClose(f)
		discard(fsys, path, name)
		return "", fmt.Errorf("sync temp file: %w", err)
	}
	if err := f.Close(); err != nil {
		discard(fsys, path, name)
		return "", fmt.Errorf("close temp file: %w", err)
	}
	return name, nil
}

// discard overwrites and removes the temp file name after a failed write.
// Its errors are not returned: the write's own error is what the caller
// needs, and the next write or start removes what is left.
func discard(fsys Files, path, name string) {
	if f, err := fsys.OpenWrite(name); err == nil {
		zeroAndClose(f)
	}
	if err := fsys.Remove(name); err == nil {
		fsys.SyncDir(filepath.Dir(path))
	}
}

// zeroAndClose overwrites f's bytes with zeros, fsyncs and closes it.
func zeroAndClose(f File) error {
	size, err := f.Size()
	if err == nil && size > 0 {
		_, err = f.WriteAt(make([]byte, size), 0)
		if err == nil {
			err = f.Sync()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
