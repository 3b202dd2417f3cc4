package identity

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/cita-city/cita/scheduling"
)

// testKey is a key with a recognizable secret: byte i is seed+i.
func testKey(epoch uint32, seed byte) Key {
	k := Key{Epoch: epoch, Created: scheduling.Date{Year: 2026, Month: 3, Day: int(epoch%28) + 1}}
	for i := range k.Secret {
		k.Secret[i] = seed + byte(i)
	}
	return k
}

func TestKeyFileRoundTrip(t *testing.T) {
	keys := []Key{testKey(1, 10), testKey(3, 30), testKey(2, 20)}
	data := MarshalKeys(keys)
	if !bytes.HasPrefix(data, []byte("#")) || !bytes.Contains(data, []byte("backup")) {
		t.Errorf("key file lacks its header:\n%s", data)
	}
	got, err := ParseKeys(data)
	if err != nil {
		t.Fatalf("ParseKeys(MarshalKeys(keys)): %v\n%s", err, data)
	}
	want := []Key{testKey(3, 30), testKey(2, 20), testKey(1, 10)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip: got epochs %v, want %v (newest first)", got, want)
	}
	if again := MarshalKeys(got); !bytes.Equal(again, data) {
		t.Errorf("MarshalKeys is not stable:\n%s\nvs\n%s", again, data)
	}
}

func TestParseKeysTolerates(t *testing.T) {
	k1 := testKey(1, 1)
	secret := base64.StdEncoding.EncodeToString(k1.Secret[:])
	data := "# comment\n\n  7 2026-01-02 " + secret + "   # trailing comment\r\n\t\n"
	keys, err := ParseKeys([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].Epoch != 7 || keys[0].Created != (scheduling.Date{Year: 2026, Month: 1, Day: 2}) || keys[0].Secret != testKey(1, 1).Secret {
		t.Fatalf("got %#v", keys)
	}
}

func TestParseKeysErrors(t *testing.T) {
	k1 := testKey(1, 1)
	good := base64.StdEncoding.EncodeToString(k1.Secret[:])
	tests := []struct {
		name, data, want string
	}{
		{"empty file", "", "no keys"},
		{"comments only", "# nothing\n\n", "no keys"},
		{"two fields", "1 2026-01-02\n", "line 1"},
		{"four fields", "1 2026-01-02 " + good + " extra\n", "line 1"},
		{"epoch not a number", "# c\none 2026-01-02 " + good, "line 2: epoch"},
		{"epoch zero", "0 2026-01-02 " + good, "line 1: epoch"},
		{"epoch overflows uint32", "4294967296 2026-01-02 " + good, "line 1: epoch"},
		{"bad date", "1 2026-13-02 " + good, "line 1: created"},
		{"not base64", "1 2026-01-02 !!!!", "line 1: secret is not"},
		{"url base64", "1 2026-01-02 " + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)), "line 1: secret is not"},
		{"short secret", "1 2026-01-02 " + base64.StdEncoding.EncodeToString(make([]byte, 16)), "line 1: secret is 16 bytes"},
		{"long secret", "1 2026-01-02 " + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 33)), "line 1: secret is 33 bytes"},
		{"zero secret", "1 2026-01-02 " + base64.StdEncoding.EncodeToString(make([]byte, 32)), "line 1: secret is all zeros"},
		{"duplicate epoch", "1 2026-01-02 " + good + "\n\n1 2026-02-02 " + good + "\n", "line 3: epoch 1 already on line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseKeys([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseKeys: got %v, want error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), good) {
				t.Errorf("error %q quotes the secret", err)
			}
		})
	}
}

func TestNewKey(t *testing.T) {
	created := scheduling.Date{Year: 2026, Month: 5, Day: 1}
	a, err := NewKey(4, created, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewKey(5, created, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if a.Epoch != 4 || a.Created != created || a.Secret == b.Secret {
		t.Fatalf("NewKey: %v %v: epochs or secrets wrong", a, b)
	}
	if _, err := NewKey(0, created, rand.Reader); err == nil {
		t.Error("NewKey(epoch 0): no error")
	}
	if _, err := NewKey(1, created, bytes.NewReader(make([]byte, 10))); err == nil {
		t.Error("NewKey(short reader): no error")
	}
	if _, err := NewKey(1, created, bytes.NewReader(make([]byte, 32))); err == nil {
		t.Error("NewKey(zero reader): no error")
	}
}

// A key must never print its secret, whatever the verb or the logger.
func TestKeyNeverPrintsSecret(t *testing.T) {
	k := testKey(9, 0xa0)
	secretForms := []string{
		base64.StdEncoding.EncodeToString(k.Secret[:]),
		hex.EncodeToString(k.Secret[:]),
		hex.EncodeToString(k.Secret[:4]),
		fmt.Sprint(k.Secret[0]) + " " + fmt.Sprint(k.Secret[1]),
		fmt.Sprint(k.Secret[0]) + ", " + fmt.Sprint(k.Secret[1]),
		fmt.Sprintf("%#x", k.Secret[0]),
		string(k.Secret[:4]),
	}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%X", "%q", "%T %v"} {
		out = append(out, fmt.Sprintf(verb, k), fmt.Sprintf(verb, &k), fmt.Sprintf(verb, []Key{k}),
			fmt.Sprintf(verb, struct{ K Key }{k}), fmt.Sprintf(verb, map[string]Key{"k": k}))
	}
	out = append(out, k.String(), k.GoString(), fmt.Sprint(k), fmt.Sprintln(k))
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "key", k, "keys", []Key{k}, "s", struct{ K Key }{k})
	if j, err := json.Marshal(map[string]any{"k": k, "p": &k}); err != nil {
		t.Fatal(err)
	} else {
		out = append(out, string(j))
	}
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "key", k, "ptr", &k)
	out = append(out, logs.String())

	for _, o := range out {
		for _, s := range secretForms {
			if strings.Contains(o, s) {
				t.Fatalf("output %q contains secret form %q", o, s)
			}
		}
	}
	if got := fmt.Sprintf("%v|%+v|%#v", k, k, k); got != "key epoch 9|key epoch 9|key epoch 9" {
		t.Errorf("formatted key = %q", got)
	}
}

func TestDedupeKey(t *testing.T) {
	k1, k2, k3 := testKey(1, 10), testKey(2, 20), testKey(3, 30)
	base := DedupeKey([]Key{k2, k1})
	tests := []struct {
		name string
		keys []Key
		same bool // the same key as from {k2, k1}
	}{
		{"order does not matter", []Key{k1, k2}, true},
		{"a rotation adds an epoch: unchanged", []Key{k3, k2, k1}, true},
		{"the oldest epoch destroyed: changed", []Key{k3, k2}, false},
		{"another secret under epoch 1: changed", []Key{k2, testKey(1, 11)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DedupeKey(tt.keys); (got == base) != tt.same {
				t.Errorf("DedupeKey(%v) == DedupeKey(k2, k1): %v, want %v", tt.keys, got == base, tt.same)
			}
		})
	}
	if base == [32]byte{} {
		t.Error("zero key from live keys")
	}
	// Not the secret itself, nor an identity MAC of anything.
	if bytes.Equal(base[:], k1.Secret[:]) {
		t.Error("the dedupe key is the raw secret")
	}
	if DedupeKey(nil) != [32]byte{} {
		t.Error("no keys should give the zero key")
	}
}

func TestDeliveryDigest(t *testing.T) {
	k := DedupeKey([]Key{testKey(1, 10)})
	other := DedupeKey([]Key{testKey(1, 11)})
	base := DeliveryDigest(k, "sid", "SM1")
	for name, d := range map[string][32]byte{
		"another kind": DeliveryDigest(k, "token", "SM1"),
		"another id":   DeliveryDigest(k, "sid", "SM2"),
		"another key":  DeliveryDigest(other, "sid", "SM1"),
		// The zero byte keeps kind and id apart.
		"kind and id run together": DeliveryDigest(k, "si", "dSM1"),
	} {
		if d == base {
			t.Errorf("%s gives the same digest", name)
		}
	}
	if DeliveryDigest(k, "sid", "SM1") != base {
		t.Error("not deterministic")
	}
}
