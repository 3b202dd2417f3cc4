package storage

import (
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// AuditRetention is how long audit entries are kept. AppendAudit drops
// older ones as it goes, so no job is needed.
const AuditRetention = 90 * 24 * time.Hour

// Limits on audit fields: a clerk name, a short action word with its
// parameters (office ids, dates, reason keys), a confirmation code.
const (
	maxAuditAction = 128
	auditV1        = 1
)

func encodeAudit(clerk, action, code string) ([]byte, error) {
	if err := checkText("clerk name", clerk, maxClerkName); err != nil {
		return nil, err
	}
	if err := checkText("audit action", action, maxAuditAction); err != nil {
		return nil, err
	}
	if code != "" {
		if err := checkText("confirmation code", code, maxCode); err != nil {
			return nil, err
		}
	}
	b := []byte{auditV1, byte(len(clerk))}
	b = append(b, clerk...)
	b = append(b, byte(len(action)))
	b = append(b, action...)
	b = append(b, byte(len(code)))
	return append(b, code...), nil
}

func decodeAudit(v []byte) (clerk, action, code string, err error) {
	if len(v) < 1 || v[0] != auditV1 {
		return "", "", "", fmt.Errorf("audit entry: unknown version: %w", ErrCorrupt)
	}
	rest := v[1:]
	field := func() (string, bool) {
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			return "", false
		}
		s := string(rest[1 : 1+int(rest[0])])
		rest = rest[1+int(rest[0]):]
		return s, true
	}
	var ok1, ok2, ok3 bool
	clerk, ok1 = field()
	action, ok2 = field()
	code, ok3 = field()
	if !ok1 || !ok2 || !ok3 || len(rest) != 0 {
		return "", "", "", fmt.Errorf("audit entry: malformed: %w", ErrCorrupt)
	}
	return clerk, action, code, nil
}

// AppendAudit records that clerk did action (to the appointment with code,
// if any) at at, and deletes entries older than AuditRetention before at.
// It implements clerk.Audit.
func (s *Store) AppendAudit(clerk, action, code string, at time.Time) error {
	v, err := encodeAudit(clerk, action, code)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	err = s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		cutoff := binary.BigEndian.AppendUint64(nil, uint64(max(at.Add(-AuditRetention).Unix(), 0)))
		c := b.Cursor()
		for k, _ := c.First(); k != nil && string(k[:min(8, len(k))]) < string(cutoff); k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		k := binary.BigEndian.AppendUint64(nil, uint64(max(at.Unix(), 0)))
		return b.Put(binary.BigEndian.AppendUint64(k, seq), v)
	})
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// EachAudit calls fn with the audit entries, newest first, until fn returns
// false. Times are in Options.Location. It implements clerk.Audit.
func (s *Store) EachAudit(fn func(at time.Time, clerk, action, code string) bool) error {
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			if len(k) != 16 {
				return fmt.Errorf("audit key %x: malformed: %w", k, ErrCorrupt)
			}
			clerk, action, code, err := decodeAudit(v)
			if err != nil {
				return err
			}
			at := time.Unix(int64(binary.BigEndian.Uint64(k)), 0).In(s.loc)
			if !fn(at, clerk, action, code) {
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read audit log: %w", err)
	}
	return nil
}
