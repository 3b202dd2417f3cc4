package storage

import (
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Waiting-room display tokens live in bucketMeta, one key per office:
// keyLobbyPrefix + office -> SHA-256 of the token (32 bytes). Only the hash
// is kept, so a copy of the file does not open anybody's lobby screen; and
// nothing in it is about a resident. Keeping them in meta spares a new
// bucket and a schema version for one short key per office.
const keyLobbyPrefix = "lobby-token/"

func lobbyKey(office string) ([]byte, error) {
	if err := checkText("office id", office, maxOffice); err != nil {
		return nil, err
	}
	return []byte(keyLobbyPrefix + office), nil
}

// SetLobbyToken stores the hash of office's display token, replacing any
// earlier one (whose screens then get 403).
func (s *Store) SetLobbyToken(office string, hash [32]byte) error {
	k, err := lobbyKey(office)
	if err != nil {
		return fmt.Errorf("set lobby token: %w", err)
	}
	if err := s.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(k, hash[:]) }); err != nil {
		return fmt.Errorf("set lobby token of %s: %w", office, err)
	}
	return nil
}

// RevokeLobbyToken removes office's display token.
func (s *Store) RevokeLobbyToken(office string) error {
	k, err := lobbyKey(office)
	if err != nil {
		return fmt.Errorf("revoke lobby token: %w", err)
	}
	if err := s.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(k) }); err != nil {
		return fmt.Errorf("revoke lobby token of %s: %w", office, err)
	}
	return nil
}

// LobbyToken returns the hash of office's display token; ok is false if
// it has none.
func (s *Store) LobbyToken(office string) (hash [32]byte, ok bool, err error) {
	k, err := lobbyKey(office)
	if err != nil {
		return hash, false, fmt.Errorf("lobby token: %w", err)
	}
	err = s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(k)
		if v == nil {
			return nil
		}
		if len(v) != 32 {
			return fmt.Errorf("lobby token of %s: %d bytes: %w", office, len(v), ErrCorrupt)
		}
		copy(hash[:], v)
		ok = true
		return nil
	})
	if err != nil {
		return hash, false, fmt.Errorf("lobby token of %s: %w", office, err)
	}
	return hash, ok, nil
}

// lobbyOffice returns the office of a lobby token key in meta.
func lobbyOffice(k []byte) (string, bool) {
	return strings.CutPrefix(string(k), keyLobbyPrefix)
}
