package storage

import (
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Clerk roles. A manager can do everything a clerk can, and also close
// offices, see the capacity chart and read the audit log.
const (
	RoleClerk   = "clerk"
	RoleManager = "manager"
)

// maxClerkName bounds clerk names; they are short login names, not people's
// full names.
const maxClerkName = 32

// ErrNoClerk: no clerk account has that name.
var ErrNoClerk = errors.New("no such clerk account")

// ClerkAccount is one clerk's sign-in: a name, a role and an argon2id
// password hash in PHC string form. The password itself is never stored.
type ClerkAccount struct {
	Name string
	Role string // RoleClerk or RoleManager
	Hash string // "$argon2id$v=19$m=...,t=...,p=...$salt$hash"
}

// CheckClerkName reports whether name can be a clerk name: 1 to 32 of
// a-z, 0-9, '.', '_' and '-', starting with a letter or digit.
func CheckClerkName(name string) error {
	if name == "" || len(name) > maxClerkName {
		return fmt.Errorf("clerk name must be 1 to %d characters", maxClerkName)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case (c == '.' || c == '_' || c == '-') && i > 0:
		default:
			return fmt.Errorf("clerk name may hold only a-z, 0-9, '.', '_' and '-', starting with a letter or digit")
		}
	}
	return nil
}

// A clerk record, version 1: version (1), role (1 clerk, 2 manager), then
// the password hash string to the end.
const clerkRecordV1 = 1

var roleBytes = map[string]byte{RoleClerk: 1, RoleManager: 2}

func encodeClerk(a ClerkAccount) ([]byte, error) {
	if err := CheckClerkName(a.Name); err != nil {
		return nil, err
	}
	r, ok := roleBytes[a.Role]
	if !ok {
		return nil, fmt.Errorf("clerk role %q: want %s or %s", a.Role, RoleClerk, RoleManager)
	}
	if err := checkText("password hash", a.Hash, 256); err != nil {
		return nil, err
	}
	return append([]byte{clerkRecordV1, r}, a.Hash...), nil
}

func decodeClerk(k, v []byte) (ClerkAccount, error) {
	if len(v) < 3 || v[0] != clerkRecordV1 {
		return ClerkAccount{}, fmt.Errorf("clerk record %q: malformed: %w", k, ErrCorrupt)
	}
	a := ClerkAccount{Name: string(k), Hash: string(v[2:])}
	for role, b := range roleBytes {
		if b == v[1] {
			a.Role = role
		}
	}
	if a.Role == "" {
		return ClerkAccount{}, fmt.Errorf("clerk record %q: unknown role %d: %w", k, v[1], ErrCorrupt)
	}
	return a, nil
}

// PutClerk creates the account a, or replaces the role and password hash
// of the account with its name. It reports whether the account existed.
func (s *Store) PutClerk(a ClerkAccount) (replaced bool, err error) {
	rec, err := encodeClerk(a)
	if err != nil {
		return false, fmt.Errorf("put clerk: %w", err)
	}
	err = s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketClerks)
		replaced = b.Get([]byte(a.Name)) != nil
		return b.Put([]byte(a.Name), rec)
	})
	if err != nil {
		return false, fmt.Errorf("put clerk: %w", err)
	}
	return replaced, nil
}

// RemoveClerk deletes the account name, or returns ErrNoClerk.
func (s *Store) RemoveClerk(name string) error {
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketClerks)
		if b.Get([]byte(name)) == nil {
			return ErrNoClerk
		}
		return b.Delete([]byte(name))
	})
	if err != nil {
		return fmt.Errorf("remove clerk: %w", err)
	}
	return nil
}

// Clerks returns every account, by name.
func (s *Store) Clerks() ([]ClerkAccount, error) {
	var list []ClerkAccount
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketClerks).ForEach(func(k, v []byte) error {
			a, err := decodeClerk(k, v)
			if err != nil {
				return err
			}
			list = append(list, a)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list clerks: %w", err)
	}
	return list, nil
}

// ClerkAccount returns the role and password hash of the account name, ok
// false if there is none. It implements clerk.Accounts.
func (s *Store) ClerkAccount(name string) (role, hash string, ok bool, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketClerks).Get([]byte(name))
		if v == nil {
			return nil
		}
		a, err := decodeClerk([]byte(name), v)
		if err != nil {
			return err
		}
		role, hash, ok = a.Role, a.Hash, true
		return nil
	})
	if err != nil {
		return "", "", false, fmt.Errorf("clerk account: %w", err)
	}
	return role, hash, ok, nil
}
