package identity

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/cita-city/cita/scheduling"
)

// Key is one epoch's secret. Epochs count up from 1; the highest is the
// newest and the one new bookings are hashed under. A retired key is
// destroyed once no stored appointment uses its epoch (promise P7), which
// makes the old hashes unlinkable for good.
//
// A Key prints as "key epoch N" under every fmt verb, in slog and through
// text encoders such as encoding/json, so the secret cannot reach a log by
// accident.
type Key struct {
	Epoch   uint32
	Created scheduling.Date
	Secret  [32]byte
}

// KeyInfo is what may be known about a key without its secret.
type KeyInfo struct {
	Epoch   uint32
	Created scheduling.Date
}

// Info returns k without its secret.
func (k Key) Info() KeyInfo { return KeyInfo{Epoch: k.Epoch, Created: k.Created} }

func (k Key) String() string   { return "key epoch " + strconv.FormatUint(uint64(k.Epoch), 10) }
func (k Key) GoString() string { return k.String() }

// Format makes every verb (%v, %+v, %#v, %x, %d, ...) print k.String():
// without it, %d or %x would walk into the struct and print the secret.
func (k Key) Format(f fmt.State, verb rune) { io.WriteString(f, k.String()) }

// LogValue keeps the secret out of slog, whose JSON handler would
// otherwise marshal the struct field by field.
func (k Key) LogValue() slog.Value { return slog.StringValue(k.String()) }

// MarshalText makes text-based encoders (JSON, TOML, also inside slices and
// structs, where LogValue is not consulted) write "key epoch N". There is
// deliberately no UnmarshalText: a secret travels only in the key file
// (MarshalKeys, ParseKeys).
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// NewKey draws a new secret from r (crypto/rand.Reader in production).
func NewKey(epoch uint32, created scheduling.Date, r io.Reader) (Key, error) {
	if epoch == 0 {
		return Key{}, errors.New("identity: new key: epochs start at 1")
	}
	k := Key{Epoch: epoch, Created: created}
	if _, err := io.ReadFull(r, k.Secret[:]); err != nil {
		return Key{}, fmt.Errorf("identity: new key epoch %d: %w", epoch, err)
	}
	if k.Secret == [32]byte{} {
		return Key{}, fmt.Errorf("identity: new key epoch %d: random source gave all zeros", epoch)
	}
	return k, nil
}

const keyFileHeader = `# cita identity keys: the secrets that turn a phone number or Telegram id
# into the hash stored with an appointment. One key per line:
#   <epoch> <created YYYY-MM-DD> <secret, 32 bytes in standard base64>
# The highest epoch is the one in use; lower ones are kept only while stored
# appointments still use them, then deleted for good.
#
# Keep this file apart from the data: never in the data directory, never in
# the same backup. Whoever holds both can test phone numbers against the
# hashes; whoever holds only the data cannot.
`

// MarshalKeys renders keys as a key file, newest epoch first, with a header
// that says what the file is and how to keep it.
func MarshalKeys(keys []Key) []byte {
	sorted := sortedNewestFirst(keys)
	var b bytes.Buffer
	b.WriteString(keyFileHeader)
	for _, k := range sorted {
		fmt.Fprintf(&b, "%d %s %s\n", k.Epoch, k.Created, base64.StdEncoding.EncodeToString(k.Secret[:]))
	}
	return b.Bytes()
}

// ParseKeys reads a key file (see MarshalKeys) and returns its keys newest
// epoch first. '#' starts a comment; blank lines are skipped. Errors name
// the line but never quote it, since it may hold a secret.
func ParseKeys(data []byte) ([]Key, error) {
	var keys []Key
	seen := make(map[uint32]int) // epoch -> line
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		if c := strings.IndexByte(line, '#'); c >= 0 {
			line = line[:c]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("identity: key file line %d: want <epoch> <YYYY-MM-DD> <base64 secret>, got %d fields", n, len(f))
		}
		epoch, err := strconv.ParseUint(f[0], 10, 32)
		if err != nil || epoch == 0 {
			return nil, fmt.Errorf("identity: key file line %d: epoch must be a whole number from 1", n)
		}
		created, err := scheduling.ParseDate(f[1])
		if err != nil {
			return nil, fmt.Errorf("identity: key file line %d: created date: want YYYY-MM-DD", n)
		}
		secret, err := base64.StdEncoding.Strict().DecodeString(f[2])
		if err != nil {
			return nil, fmt.Errorf("identity: key file line %d: secret is not standard base64", n)
		}
		if len(secret) != 32 {
			return nil, fmt.Errorf("identity: key file line %d: secret is %d bytes, want 32", n, len(secret))
		}
		k := Key{Epoch: uint32(epoch), Created: created}
		copy(k.Secret[:], secret)
		if k.Secret == [32]byte{} {
			return nil, fmt.Errorf("identity: key file line %d: secret is all zeros", n)
		}
		if prev, dup := seen[k.Epoch]; dup {
			return nil, fmt.Errorf("identity: key file line %d: epoch %d already on line %d", n, k.Epoch, prev)
		}
		seen[k.Epoch] = n
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("identity: key file has no keys (run `bot keygen`)")
	}
	return sortedNewestFirst(keys), nil
}

func sortedNewestFirst(keys []Key) []Key {
	s := slices.Clone(keys)
	slices.SortStableFunc(s, func(a, b Key) int {
		switch {
		case a.Epoch > b.Epoch:
			return -1
		case a.Epoch < b.Epoch:
			return 1
		}
		return 0
	})
	return s
}

// dedupeDomain separates the webhook dedupe key from every other use of a
// key epoch's secret.
const dedupeDomain = "cita webhook dedupe v1"

// DedupeKey derives the key that webhook dedupe marks are digested with
// (storage.FirstDelivery stores HMAC-SHA256(DedupeKey, provider message
// id)): HMAC-SHA256 of a fixed domain string under the secret of the
// oldest epoch in keys. The marks are then no use without the key file,
// and unlike the raw provider ids cannot be matched against a provider's
// log by anyone who holds only the database. keys may be in any order; an
// empty set gives the zero key.
//
// Why the oldest epoch: a mark must be found with the same key for the
// whole dedupe window (48 h), across restarts and rotations. rotate-key
// adds epochs at the top, so the newest key changes at every rotation,
// while the oldest one changes only when rotate-key destroys it, after no
// stored appointment uses it any more, which is days to weeks after it was
// retired. The marks made in the 48 h before that destruction no longer
// match afterwards: a replay of one of those deliveries would be acted on
// again. That is the one gap, at most once per rotation period, and the
// price of the rule that a destroyed key leaves nothing behind.
func DedupeKey(keys []Key) [32]byte {
	var out [32]byte
	if len(keys) == 0 {
		return out
	}
	oldest := keys[0]
	for _, k := range keys[1:] {
		if k.Epoch < oldest.Epoch {
			oldest = k
		}
	}
	m := hmac.New(sha256.New, oldest.Secret[:])
	m.Write([]byte(dedupeDomain))
	copy(out[:], m.Sum(nil))
	return out
}

// DeliveryDigest is what a channel stores (storage.FirstDelivery) for one
// webhook delivery: HMAC-SHA256 under key (DedupeKey) of the SHA-256 of
// kind, a zero byte and the provider's id. Kinds in use: "sid" (Twilio
// MessageSid), "token" (Twilio's I-Twilio-Idempotency-Token), "update"
// (Telegram update_id in decimal). The inner SHA-256 lets a channel hold
// only that hash in memory while it works.
func DeliveryDigest(key [32]byte, kind, id string) [32]byte {
	inner := sha256.Sum256([]byte(kind + "\x00" + id))
	m := hmac.New(sha256.New, key[:])
	m.Write(inner[:])
	var out [32]byte
	copy(out[:], m.Sum(nil))
	return out
}
