// Package identity turns a resident's address into the only thing cita keeps
// about them: a keyed, stretched hash. It owns phone-number normalization
// (E.164, with nyaruka/phonenumbers), the key file and its epochs, and the
// hash itself: HMAC-SHA256 with the epoch's secret key, then argon2id, so
// that even someone holding the key pays days of CPU to reverse the hashes.
//
// # Basics
//
// An address is either an E.164 number from NormalizePhone or a
// TelegramAddress. cmd/bot reads the key file, hands it to ParseKeys and
// builds one Hasher; channels then call Identities once per incoming
// message. The first identity returned is the one new bookings use; the
// others, under older key epochs, find appointments made before the last
// rotation.
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
// A Hasher belongs to one set of keys. After a rotation, build a new one;
// the old cache goes with the old Hasher. (cmd/bot swaps it atomically.)
//
// BenchmarkHashCost measures what reversing the hashes costs, with and
// without the key: go test ./identity -run '^$' -bench HashCost
// (docs/PRIVACY.md quotes the figures).
//
// Telegram shares contacts' numbers sometimes without the leading '+'; a
// channel should add it before calling NormalizePhone, or a foreign number
// will be read as a national number of the default region and rejected.
package identity
