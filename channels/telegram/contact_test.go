package telegram

import (
	"strings"
	"testing"

	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/scheduling"
)

// TestContactSpellings: a shared contact's number goes through
// identity.NormalizePhone like every other path, after the '+' Telegram
// leaves off, so it names the resident SMS knows by the same number,
// including an area code newer than libphonenumber's tables.
func TestContactSpellings(t *testing.T) {
	key, err := identity.NewKey(1, scheduling.Date{Year: 2026, Month: 11, Day: 1}, strings.NewReader(strings.Repeat("k", 64)))
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := identity.NewHasher([]identity.Key{key}, identity.Params{Memory: 64, Time: 1, Threads: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	contactTests := []struct {
		name, shared, e164 string
	}{
		{"no plus, as Telegram sends it", "13125550142", "+13125550142"},
		{"with plus", "+13125550142", "+13125550142"},
		{"spaced", " +1 312 555 0142 ", "+13125550142"},
		{"new area code", "12745550142", "+12745550142"},
		{"doubled plus", "++19835550142", "+19835550142"},
	}
	for _, tc := range contactTests {
		t.Run(tc.name, func(t *testing.T) {
			want, err := hasher.Identities(tc.e164, t0)
			if err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, func(c *Config) { c.IDs = hasherIDs{hasher} })
			f.deliver(t, f.api.Contact(ana, ana, ana, "en", tc.shared))
			f.deliver(t, f.api.Text(ana, ana, "en", "5"))
			f.settle(t)
			in := f.engine.inbound()
			if len(in) == 0 || in[0].Identity != want[0] {
				t.Errorf("identity after sharing %q is not that of %s", tc.shared, tc.e164)
			}
		})
	}
}
