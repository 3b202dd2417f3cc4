// Package storage keeps cita's appointments in a single bbolt file and
// implements scheduling.Store on it.
//
// # What is stored
//
// Exactly what promise P1 allows: for each appointment its confirmation
// code, the resident's identity (key epoch and 32-byte keyed hash), office
// id, slot start, language, status, the day it was made, the party size and
// how many of the party came once checked in (record version 2). A cancelled
// appointment loses its identity at once; Delete removes a record with
// everything pointing to it. Store.Inspect prints the whole file, every
// bucket and key, decoded: it is `bot inspect`, the subpoena view (P8).
//
// # Layout
//
// Bucket names live in buckets.go. Slot keys put the office id first, a
// 0x00, then the start as 8 bytes of big-endian Unix seconds, so one
// office's slots are contiguous and sorted by time:
//
//	appointments  code                        -> record (record.go: ~60 bytes, versioned)
//	identities    epoch(4) hash(32)           -> code, active appointments only
//	schedule      office 0x00 start(8) code   -> empty, every appointment
//	seats         office 0x00 start(8)        -> uint32 count of appointments not cancelled
//	meta          "schema"                    -> uint32 schema version
//	clerks        clerk name                  -> role, argon2id password hash
//	closures      office 0x00 day(2)          -> empty, days a manager closed
//	audit         time(8) seq(8)              -> clerk, action, code (90 days)
//	counters      office 0x00 day(2)          -> anonymous counts of a closed day
//	deliveries    keyed digest(32)            -> hour first seen: webhook dedupe marks (48 h)
//
// # Retention
//
// CloseDay turns a day into counters: booked appointments become no-shows,
// each appointment adds to its office's counts (booked, checked-in,
// no-show, cancelled, per language), and is deleted with its schedule,
// identity and seat entries. Run twice it changes nothing. Compact after
// it, so the bytes leave the disk. Epochs says which key epochs stored
// appointments still use; a key no appointment uses can be destroyed.
//
// A clerk may undo a no-show (SetStatus back to booked or checked-in) while
// the day is open, unless the resident booked again meanwhile
// (scheduling.ErrAlreadyBooked).
//
// Seats count people: an appointment whose status is not cancelled
// (booked, checked in and no-show; a no-show's slot is past anyway) takes as
// many seats as its party has people. Taken
// returns exactly those counts, and Insert and Move compare them with the
// capacity, in the same write transaction as the change, so concurrent
// bookers of the last seat cannot both win. A count that reaches zero is
// deleted. Check verifies all of this and bolt's own page structure; every
// test of this package ends with it.
//
// # Basics
//
// Open the file with Open; a second process gets ErrLocked after
// Options.Timeout (1 s by default). Each method is one bolt transaction;
// callers never see one. Times come back in Options.Location (UTC if nil).
// Concurrent Inserts are grouped into one commit (group.go): a lone Insert
// commits at once, and those that arrive while a commit is being written
// share the next one, with one fsync, without waiting for a timer as bolt's
// Batch does. Booking outcomes are
// the scheduling package's sentinel errors (ErrSlotFull, ErrAlreadyBooked,
// ErrCodeTaken, ErrNotFound); errors never name a code or identity.
//
// Opening an older schema runs the steps in migrations; a newer one fails
// with ErrNewerSchema, and a file that is not a cita database with
// ErrCorrupt. Open never truncates or repairs a file.
//
// # Caveats
//
// bolt does not overwrite freed pages: a deleted or cancelled record's
// bytes, identity hash included, stay in the file until the page is reused.
// Compact copies the live data into a new file and renames it over the old
// one, so the purge after a day closes (promise P4) is physical. Compact
// blocks every other call while it runs; the new file is locked from its
// creation, so the database is never unlocked on the way. A crash during Compact leaves the old file or
// the new one under the name, and at most a "NAME.compact-*" file beside
// it, which Open and the next Compact remove.
//
// The file grows 1 MB at a time and does not shrink without Compact.
// Measured: about 300 bytes of file per appointment at 10k and 100k
// appointments booked one by one, about 210 after Compact.
package storage
