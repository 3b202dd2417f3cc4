package storage_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/cita-city/cita/clerk"
	"github.com/cita-city/cita/storage"
)

// The clerk pages' interfaces are implemented by the store.
var (
	_ clerk.Accounts     = (*storage.Store)(nil)
	_ clerk.Closures     = (*storage.Store)(nil)
	_ clerk.Audit        = (*storage.Store)(nil)
	_ clerk.Appointments = (*storage.Store)(nil)
)

// openStaffStore opens a store in a temp dir and checks its invariants
// when the test ends.
func openStaffStore(t *testing.T) *storage.Store {
	t.Helper()
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	s, err := storage.Open(filepath.Join(t.TempDir(), "cita.db"), storage.Options{NoSync: true, Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Check(); err != nil {
			t.Errorf("check: %v", err)
		}
		s.Close()
	})
	return s
}

func TestClerkAccounts(t *testing.T) {
	s := openStaffStore(t)
	if _, _, ok, err := s.ClerkAccount("ana"); ok || err != nil {
		t.Fatalf("empty store: ok %v err %v", ok, err)
	}
	replaced, err := s.PutClerk(storage.ClerkAccount{Name: "ana", Role: storage.RoleClerk, Hash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"})
	if err != nil || replaced {
		t.Fatalf("put: replaced %v err %v", replaced, err)
	}
	if replaced, err = s.PutClerk(storage.ClerkAccount{Name: "ana", Role: storage.RoleManager, Hash: "$argon2id$new"}); err != nil || !replaced {
		t.Fatalf("replace: replaced %v err %v", replaced, err)
	}
	if _, err := s.PutClerk(storage.ClerkAccount{Name: "bo", Role: storage.RoleClerk, Hash: "$argon2id$bo"}); err != nil {
		t.Fatal(err)
	}
	role, hash, ok, err := s.ClerkAccount("ana")
	if err != nil || !ok || role != storage.RoleManager || hash != "$argon2id$new" {
		t.Fatalf("ana = %q %q %v %v", role, hash, ok, err)
	}
	list, err := s.Clerks()
	if err != nil || len(list) != 2 || list[0].Name != "ana" || list[1].Name != "bo" || list[1].Role != storage.RoleClerk {
		t.Fatalf("Clerks = %+v, %v", list, err)
	}
	if err := s.RemoveClerk("ana"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveClerk("ana"); !errors.Is(err, storage.ErrNoClerk) {
		t.Fatalf("remove twice: %v, want ErrNoClerk", err)
	}
	if _, _, ok, _ := s.ClerkAccount("ana"); ok {
		t.Fatal("ana still there")
	}
}

func TestClerkAccountRejects(t *testing.T) {
	s := openStaffStore(t)
	for _, a := range []storage.ClerkAccount{
		{Name: "", Role: storage.RoleClerk, Hash: "h"},
		{Name: "Ana", Role: storage.RoleClerk, Hash: "h"},          // upper case: names are stored lower case
		{Name: "-ana", Role: storage.RoleClerk, Hash: "h"},         // must start with a letter or digit
		{Name: "ana smith", Role: storage.RoleClerk, Hash: "h"},    // no spaces
		{Name: "ana", Role: "admin", Hash: "h"},                    // unknown role
		{Name: "ana", Role: storage.RoleClerk, Hash: ""},           // no hash
		{Name: "abcdefghijklmnopqrstuvwxyz0123456", Role: "clerk"}, // 33 characters
	} {
		if _, err := s.PutClerk(a); err == nil {
			t.Errorf("PutClerk(%+v) succeeded", a)
		}
	}
}
