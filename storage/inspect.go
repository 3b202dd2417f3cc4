package storage

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Inspect writes, human-readably, everything the database holds: what a
// subpoena of the file would get (promise P8). It walks every bucket the
// file has, known or not, nested or not, and prints every key and value:
// decoded where the layout is known (identity hashes in hex, times in
// Options.Location and as Unix seconds), in hex otherwise. It also says how
// much of the file is free pages, which may still hold deleted bytes until
// Compact.
func (s *Store) Inspect(w io.Writer) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return ErrClosed
	}
	bw := bufio.NewWriter(w)
	err := s.db.View(func(tx *bolt.Tx) error {
		st := s.db.Stats()
		size := int64(-1)
		if fi, err := os.Stat(s.path); err == nil {
			size = fi.Size()
		}
		version := "unreadable"
		if v, err := readSchema(tx); err == nil {
			version = strconv.FormatUint(uint64(v), 10)
		}
		page := int64(s.db.Info().PageSize)
		fmt.Fprintf(bw, "cita database %s\n", s.path)
		fmt.Fprintf(bw, "schema version %s; file %d bytes, %d in use; %d free pages (%d bytes) may still hold deleted data until compaction\n",
			version, size, tx.Size(), st.FreePageN+st.PendingPageN, int64(st.FreePageN+st.PendingPageN)*page)
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return s.inspectBucket(bw, []string{string(name)}, b)
		})
	})
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	return nil
}

// bucketDescriptions say what each known bucket maps.
var bucketDescriptions = map[string]string{
	string(bucketAppointments): "confirmation code -> appointment",
	string(bucketIdentities):   "identity (key epoch, hash) -> confirmation code, active appointments only",
	string(bucketSchedule):     "office, slot start, confirmation code (every appointment, for day lists)",
	string(bucketSeats):        "office, slot start -> seats taken (people of the appointments not cancelled)",
	string(bucketMeta):         "database metadata",
	string(bucketClerks):       "clerk name -> role, argon2id password hash (staff accounts, no resident data)",
	string(bucketClosures):     "office, day closed by a manager",
	string(bucketAudit):        "time, sequence -> clerk, action, confirmation code (kept 90 days)",
	string(bucketCounters):     "office, closed day -> anonymous counts by status and language",
	string(bucketDeliveries):   "webhook dedupe marks: keyed digest of a provider message id -> hour first seen, kept 48 h to refuse retries and replays (no number, no id, no text)",
}

func (s *Store) inspectBucket(w io.Writer, path []string, b *bolt.Bucket) error {
	name := path[len(path)-1]
	desc := "unknown bucket: raw hex"
	decode := func(k, v []byte) (string, error) { return "", fmt.Errorf("unknown layout") }
	if len(path) == 1 {
		if d, ok := bucketDescriptions[name]; ok {
			desc = d
			decode = s.decoder(name)
		}
	}
	quoted := make([]string, len(path))
	for i, p := range path {
		quoted[i] = strconv.Quote(p)
	}
	fmt.Fprintf(w, "\nbucket %s (%d keys): %s\n", strings.Join(quoted, "/"), b.Stats().KeyN, desc)
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			if sub := b.Bucket(k); sub != nil {
				return s.inspectBucket(w, append(path, string(k)), sub)
			}
		}
		line, err := decode(k, v)
		if err != nil {
			line = fmt.Sprintf("key %s value %s", hexOr(k), hexOr(v))
			if len(path) == 1 && desc != "unknown bucket: raw hex" {
				line += fmt.Sprintf(" (undecodable: %v)", err)
			}
		}
		_, err = fmt.Fprintf(w, "  %s\n", line)
		return err
	})
}

func hexOr(b []byte) string {
	if len(b) == 0 {
		return "(empty)"
	}
	return hex.EncodeToString(b)
}

// decoder returns how to print an entry of the known bucket name.
func (s *Store) decoder(name string) func(k, v []byte) (string, error) {
	when := func(unix int64) string {
		return fmt.Sprintf("%s (%d)", time.Unix(unix, 0).In(s.loc).Format(time.RFC3339), unix)
	}
	switch name {
	case string(bucketAppointments):
		return func(k, v []byte) (string, error) {
			a, err := decodeRecord(k, v, s.loc)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("code=%q office=%q start=%s lang=%q status=%v made=%v party=%d arrived=%d identity=epoch %d hash %x",
				a.Code, a.Office, when(a.Start.Unix()), a.Lang, a.Status, a.Made, a.People(), a.Arrived, a.Identity.Epoch, a.Identity.Hash), nil
		}
	case string(bucketIdentities):
		return func(k, v []byte) (string, error) {
			id, err := splitIdentityKey(k)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("epoch %d hash %x -> code=%q", id.Epoch, id.Hash, v), nil
		}
	case string(bucketSchedule):
		return func(k, v []byte) (string, error) {
			office, start, code, err := splitSlotKey(k)
			if err != nil || len(v) != 0 {
				return "", fmt.Errorf("malformed entry")
			}
			return fmt.Sprintf("office=%q start=%s code=%q", office, when(start), code), nil
		}
	case string(bucketSeats):
		return func(k, v []byte) (string, error) {
			office, start, rest, err := splitSlotKey(k)
			if err != nil || len(rest) != 0 {
				return "", fmt.Errorf("malformed key")
			}
			n, err := decodeCount(v)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("office=%q start=%s -> %d taken", office, when(start), n), nil
		}
	case string(bucketMeta):
		return func(k, v []byte) (string, error) {
			if string(k) == string(keyMetaSchema) {
				n, err := decodeCount(v)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%q -> schema version %d", k, n), nil
			}
			if office, ok := lobbyOffice(k); ok && len(v) == 32 {
				return fmt.Sprintf("lobby display token of office=%q -> sha256 %x (the token itself is not kept)", office, v), nil
			}
			return fmt.Sprintf("%q -> %q", k, v), nil
		}
	case string(bucketClerks):
		return func(k, v []byte) (string, error) {
			a, err := decodeClerk(k, v)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("clerk=%q role=%s password=%s", a.Name, a.Role, a.Hash), nil
		}
	case string(bucketClosures):
		return func(k, v []byte) (string, error) {
			office, day, ok := splitDayKey(k)
			if !ok || len(v) != 0 {
				return "", fmt.Errorf("malformed closure")
			}
			return fmt.Sprintf("office=%q closed=%v", office, day), nil
		}
	case string(bucketAudit):
		return func(k, v []byte) (string, error) {
			if len(k) != 16 {
				return "", fmt.Errorf("malformed key")
			}
			clerk, action, code, err := decodeAudit(v)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("at=%s #%d clerk=%q action=%q code=%q",
				when(int64(binary.BigEndian.Uint64(k))), binary.BigEndian.Uint64(k[8:]), clerk, action, code), nil
		}
	case string(bucketCounters):
		return func(k, v []byte) (string, error) {
			c, err := decodeCounter(k, v)
			if err != nil {
				return "", err
			}
			langs := make([]string, 0, len(c.ByLang))
			for _, l := range slices.Sorted(maps.Keys(c.ByLang)) {
				langs = append(langs, fmt.Sprintf("%s=%d", l, c.ByLang[l]))
			}
			walkIns := ""
			if c.WalkIns > 0 {
				walkIns = fmt.Sprintf(" walk-ins=%d", c.WalkIns)
			}
			return fmt.Sprintf("office=%q day=%v booked=%d checked-in=%d no-show=%d cancelled=%d%s languages: %s",
				c.Office, c.Day, c.Booked, c.CheckedIn, c.NoShow, c.Cancelled, walkIns, strings.Join(langs, " ")), nil
		}
	case string(bucketDeliveries):
		return func(k, v []byte) (string, error) {
			h, err := decodeDeliveryHour(v)
			if err != nil || len(k) != 32 {
				return "", fmt.Errorf("malformed mark")
			}
			at := time.Unix(int64(h)*int64(deliveryHour/time.Second), 0).In(s.loc)
			return fmt.Sprintf("digest %x first seen in the hour from %s", k, at.Format("2006-01-02 15:04 MST")), nil
		}
	}
	return func(k, v []byte) (string, error) { return "", fmt.Errorf("unknown layout") }
}
