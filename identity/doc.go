// Package identity turns a resident's address into the only thing cita keeps
// about them, a keyed, stretched hash, and owns that identity's whole life:
// phone-number normalization, the hash (HMAC-SHA256 with the epoch's secret
// key, then argon2id, so that even someone holding the key pays days of CPU
// to reverse the hashes), the key file and its epochs, the running
// program's Keyring, and the rotation policy (promises P2 and P7 in
// docs/DESIGN.md).
//
// # Basics
//
// An address is either an E.164 number from NormalizePhone or a
// TelegramAddress. cmd/bot reads the key file, hands it to ParseKeys and
// builds one Keyring; channels and the clerk pages then ask it for a
// resident's identities at each message (Identities, Cached, Admit). The
// first identity returned is the one new bookings use; the others, under
// older key epochs, find appointments made before the last rotation. A
// channel keeps the address, never the identities, between messages.
//
// NormalizePhone is the one normalization of every path that takes a
// number (SMS and WhatsApp senders, voice callers, Telegram contacts, the
// clerk desk, bot chat --as, the local channel): its doc states the rules, TestPhoneRules is their
// table, and TestOnePhoneNormalization checks on the module's source that
// no path uses another. In short: separators and digits of any script are
// read; "tel:", a doubled '+' and a trailing extension are accepted (the
// extension dropped); a North American number is taken for its shape
// (NXX-NXX-XXXX), so area codes newer than libphonenumber's tables are
// accepted; other countries' numbers must be valid in those tables; other
// letters are refused. Telegram shares contacts' numbers sometimes without
// the leading '+'; the channel adds it, or a foreign number would be read
// as a national number of the default region.
//
// Rotation: RotatePolicy says when an epoch is due, Retire which retired
// keys no stored appointment uses any more, and Rotator.Rotate does both on
// the key file, telling the running Keyring (Keyring.Use) each new key set
// before the file loses a key. A Hasher belongs to one key set; the Keyring
// builds a new one at each swap, and the old cache goes with the old
// Hasher. The Admission (who stretches next) outlives the swaps.
//
// # Caveats
//
// The package reads no environment and never asks the clock; callers pass
// now. It touches files only to write the key file, through the small
// Files interface (OS in production), so that tests can fail or "crash" at
// each call: WriteKeyFile and CreateKeyFile leave the old keys or the new
// ones, never a mix, and RemoveKeyStrays (at start, and before each write)
// zeroes and removes what a write that died left beside the key file.
// Errors never quote a number or a secret.
//
// DedupeKey and DeliveryDigest give the keyed digest channels store for
// each webhook delivery (storage.FirstDelivery), so a replay is refused
// across restarts without keeping a provider id.
//
// BenchmarkHashCost measures what reversing the hashes costs, with and
// without the key: go test ./identity -run '^$' -bench HashCost
// (docs/PRIVACY.md quotes the figures).
package identity
