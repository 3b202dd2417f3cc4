package identity

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// faultFiles is OS with a fault at call number at (counting from 1): the
// call fails, or the process "dies" there: that call and every later one
// do nothing and fail, as if the process was killed. A torn death at a
// Write writes half the bytes first.
type faultFiles struct {
	at    int
	mode  string // "fail", "crash" or "torn"
	calls int
	dead  bool
	ops   []string // the calls made, for messages
}

var errInjected = errors.New("injected fault")

// call counts one call and says whether it may go ahead.
func (f *faultFiles) call(op string) error {
	if f.dead {
		return errInjected
	}
	f.calls++
	f.ops = append(f.ops, op)
	if f.calls != f.at {
		return nil
	}
	if f.mode != "fail" {
		f.dead = true
	}
	return errInjected
}

func (f *faultFiles) CreateTemp(dir, pattern string) (File, error) {
	if err := f.call("create temp"); err != nil {
		return nil, err
	}
	file, err := OS.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &faultFile{file, f}, nil
}

func (f *faultFiles) OpenWrite(name string) (File, error) {
	if err := f.call("open " + filepath.Base(name)); err != nil {
		return nil, err
	}
	file, err := OS.OpenWrite(name)
	if err != nil {
		return nil, err
	}
	return &faultFile{file, f}, nil
}

func (f *faultFiles) Rename(from, to string) error {
	if err := f.call("rename"); err != nil {
		return err
	}
	return OS.Rename(from, to)
}

func (f *faultFiles) Link(from, to string) error {
	if err := f.call("link"); err != nil {
		return err
	}
	return OS.Link(from, to)
}

func (f *faultFiles) Remove(name string) error {
	if err := f.call("remove " + filepath.Base(name)); err != nil {
		return err
	}
	return OS.Remove(name)
}

func (f *faultFiles) SyncDir(dir string) error {
	if err := f.call("sync dir"); err != nil {
		return err
	}
	return OS.SyncDir(dir)
}

func (f *faultFiles) ReadDir(dir string) ([]string, error) {
	if err := f.call("read dir"); err != nil {
		return nil, err
	}
	return OS.ReadDir(dir)
}

func (f *faultFiles) SameFile(a, b string) bool {
	if f.call("same file") != nil {
		return true // the safe answer: nothing is overwritten
	}
	return OS.SameFile(a, b)
}

type faultFile struct {
	File
	f *faultFiles
}

func (ff *faultFile) Write(p []byte) (int, error) {
	torn := ff.f.mode == "torn" && ff.f.calls+1 == ff.f.at && !ff.f.dead
	if err := ff.f.call("write"); err != nil {
		if torn {
			ff.File.Write(p[:len(p)/2])
		}
		return 0, err
	}
	return ff.File.Write(p)
}

func (ff *faultFile) WriteAt(p []byte, off int64) (int, error) {
	if err := ff.f.call("write at"); err != nil {
		return 0, err
	}
	return ff.File.WriteAt(p, off)
}

func (ff *faultFile) Sync() error {
	if err := ff.f.call("sync"); err != nil {
		return err
	}
	return ff.File.Sync()
}

func (ff *faultFile) Close() error {
	err := ff.f.call("close")
	// A dead process's descriptors are closed by the kernel.
	if cerr := ff.File.Close(); err == nil {
		err = cerr
	}
	return err
}

// Size is not a system call that changes anything; it is not counted.

// keyBytes lists the spellings of k's secret that may sit in a file.
func keyBytes(k Key) [][]byte {
	return [][]byte{k.Secret[:], []byte(base64.StdEncoding.EncodeToString(k.Secret[:]))}
}

// holds reports whether the file at name holds any spelling of k's secret.
func holds(t *testing.T, name string, k Key) bool {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range keyBytes(k) {
		if bytes.Contains(data, b) {
			return true
		}
	}
	return false
}

// TestKeyFileWriteFaults runs each key-file write with a fault at every
// call it makes in turn: a failure, a death, and (at writes) a death
// halfway through the bytes. After each, the next start (RemoveKeyStrays)
// or the next write must leave no key bytes in any file but the key file,
// the key file must hold the old keys or the new ones, and a destroyed key
// must be gone from the directory once the key file is the new one.
func TestKeyFileWriteFaults(t *testing.T) {
	k1, k2, k3 := testKey(1, 10), testKey(2, 20), testKey(3, 30)
	scenarios := []struct {
		name      string
		old       []Key // in the key file before; nil: no file
		new       []Key
		destroyed []Key // in old, not in new
		create    bool  // CreateKeyFile instead of WriteKeyFile
	}{
		{name: "rotate adds an epoch", old: []Key{k1}, new: []Key{k2, k1}},
		{name: "rotate destroys an epoch", old: []Key{k2, k1}, new: []Key{k2}, destroyed: []Key{k1}},
		{name: "keygen", new: []Key{k1}, create: true},
	}
	for _, sc := range scenarios {
		write := func(fsys Files, path string) error {
			if sc.create {
				return CreateKeyFile(fsys, path, sc.new)
			}
			return WriteKeyFile(fsys, path, sc.new)
		}
		setup := func(t *testing.T) string {
			dir := t.TempDir()
			path := filepath.Join(dir, "cita.key")
			if sc.old != nil {
				if err := os.WriteFile(path, MarshalKeys(sc.old), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			// A stray of an earlier crash, holding a key that is gone.
			if err := os.WriteFile(filepath.Join(dir, ".cita.key.tmp-1234"), MarshalKeys([]Key{k3}), 0o600); err != nil {
				t.Fatal(err)
			}
			return path
		}
		// Count the calls of a write without faults.
		clean := &faultFiles{}
		path := setup(t)
		if err := write(clean, path); err != nil {
			t.Fatalf("%s without faults: %v", sc.name, err)
		}
		t.Logf("%s: %d calls: %v", sc.name, clean.calls, clean.ops)

		for _, mode := range []string{"fail", "crash", "torn"} {
			for at := 1; at <= clean.calls; at++ {
				if mode == "torn" && clean.ops[at-1] != "write" {
					continue
				}
				name := fmt.Sprintf("%s/%s at call %d (%s)", sc.name, mode, at, clean.ops[at-1])
				t.Run(name, func(t *testing.T) {
					path := setup(t)
					fsys := &faultFiles{at: at, mode: mode}
					err := write(fsys, path)
					if fsys.calls < at {
						t.Fatalf("only %d calls: the fault was not reached", fsys.calls)
					}
					if err == nil && mode != "fail" {
						t.Fatal("the write reported success after the process died")
					}
					t.Run("next start", func(t *testing.T) {
						dir := t.TempDir()
						copyDir(t, filepath.Dir(path), dir)
						p := filepath.Join(dir, filepath.Base(path))
						if err := RemoveKeyStrays(OS, p); err != nil {
							t.Fatal(err)
						}
						checkKeyDir(t, p, sc.old, sc.new, sc.destroyed, []Key{k3})
					})
					t.Run("next write", func(t *testing.T) {
						if err := write(OS, path); err != nil && !(sc.create && errors.Is(err, ErrKeyFileExists)) {
							t.Fatal(err)
						}
						checkKeyDir(t, path, nil, sc.new, sc.destroyed, []Key{k3})
					})
				})
			}
		}
	}
}

// checkKeyDir checks the directory of the key file at path: the key file
// holds want or, if alt is not nil, alt (nil alt with no file is allowed
// only when want is also unreachable: a create that died); no other file
// holds any key's bytes; the keys in gone (and destroyed ones once the
// file holds want) are in no file at all.
func checkKeyDir(t *testing.T, path string, alt, want, destroyed, gone []Key) {
	t.Helper()
	data, err := os.ReadFile(path)
	var got []Key
	switch {
	case errors.Is(err, os.ErrNotExist):
		if alt != nil {
			t.Fatal("the key file is gone")
		}
	case err != nil:
		t.Fatal(err)
	default:
		if got, err = ParseKeys(data); err != nil {
			t.Fatalf("key file unreadable: %v", err)
		}
		if !reflect.DeepEqual(got, want) && (alt == nil || !reflect.DeepEqual(got, alt)) {
			t.Fatalf("key file holds epochs %v; want %v or %v", got, want, alt)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
		}
	}
	all := append(append(append([]Key{}, want...), alt...), gone...)
	if reflect.DeepEqual(got, want) {
		gone = append(gone, destroyed...)
	}
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := filepath.Join(dir, e.Name())
		if name != path {
			for _, k := range all {
				if holds(t, name, k) {
					t.Errorf("%s holds the secret of %v", e.Name(), k)
				}
			}
			continue
		}
		for _, k := range gone {
			if holds(t, name, k) {
				t.Errorf("the key file still holds the secret of destroyed %v", k)
			}
		}
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCreateKeyFileRefusesToOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cita.key")
	if err := CreateKeyFile(OS, path, []Key{testKey(1, 1)}); err != nil {
		t.Fatal(err)
	}
	err := CreateKeyFile(OS, path, []Key{testKey(1, 2)})
	if !errors.Is(err, ErrKeyFileExists) {
		t.Fatalf("second create: %v, want ErrKeyFileExists", err)
	}
	checkKeyDir(t, path, nil, []Key{testKey(1, 1)}, nil, []Key{testKey(1, 2)})
}

// TestWriteKeyFileZeroesOldInode: a descriptor opened on the key file
// before a rotation that destroys a key reads zeros afterwards, not the
// destroyed secret.
func TestWriteKeyFileZeroesOldInode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cita.key")
	k1, k2 := testKey(1, 10), testKey(2, 20)
	if err := CreateKeyFile(OS, path, []Key{k2, k1}); err != nil {
		t.Fatal(err)
	}
	old, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := WriteKeyFile(OS, path, []Key{k2}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("/proc/self/fd/" + fmt.Sprint(old.Fd()))
	if err != nil {
		t.Skipf("cannot read the old inode: %v", err)
	}
	if len(data) == 0 || bytes.ContainsFunc(data, func(r rune) bool { return r != 0 }) {
		t.Errorf("old inode holds %d bytes, not all zeros", len(data))
	}
}

// listThen is OS whose ReadDir runs then right after listing, as if
// another process acted between the listing and what follows.
type listThen struct {
	osFiles
	then func()
}

func (l listThen) ReadDir(dir string) ([]string, error) {
	names, err := l.osFiles.ReadDir(dir)
	l.then()
	return names, err
}

// TestRemoveKeyStraysRacesAWriter: a clean-up (bot chat starting) runs
// while bot serve is writing the key file. Whichever wins, the key file is
// never zeroed: it holds the old keys or the new ones.
func TestRemoveKeyStraysRacesAWriter(t *testing.T) {
	old, new := []Key{testKey(1, 10)}, []Key{testKey(2, 20), testKey(1, 10)}
	setup := func(t *testing.T) (path, tmp string) {
		dir := t.TempDir()
		path = filepath.Join(dir, "cita.key")
		if err := os.WriteFile(path, MarshalKeys(old), 0o600); err != nil {
			t.Fatal(err)
		}
		tmp, err := writeTemp(OS, path, MarshalKeys(new)) // the writer's complete temp file
		if err != nil {
			t.Fatal(err)
		}
		return path, tmp
	}
	t.Run("the clean-up claims the temp file first", func(t *testing.T) {
		path, tmp := setup(t)
		if err := RemoveKeyStrays(OS, path); err != nil {
			t.Fatal(err)
		}
		if err := OS.Rename(tmp, path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the writer's rename: %v, want not exist", err)
		}
		checkKeyDir(t, path, nil, old, nil, nil)
	})
	t.Run("the writer renames between the listing and the claim", func(t *testing.T) {
		path, tmp := setup(t)
		fsys := listThen{then: func() {
			if err := OS.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
		}}
		if err := RemoveKeyStrays(fsys, path); err != nil {
			t.Fatal(err)
		}
		checkKeyDir(t, path, nil, new, nil, nil)
	})
}
