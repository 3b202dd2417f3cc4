package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/cita-city/cita/scheduling"
)

// Sentinel errors of the storage layer. Booking outcomes (slot full,
// already booked, not found, code taken) are the scheduling package's.
var (
	// ErrLocked: another process (or another Store in this one) has the
	// file open; Open gave up after Options.Timeout.
	ErrLocked = errors.New("database is in use by another process")
	// ErrCorrupt: the file is not a cita database, or it breaks one of the
	// invariants Check verifies. Open never truncates or repairs such a file.
	ErrCorrupt = errors.New("database file is corrupt or not a cita database")
	// ErrNewerSchema: the file was written by a newer cita whose schema this
	// one cannot read.
	ErrNewerSchema = errors.New("database schema is newer than this program")
	// ErrClosed: the Store was closed.
	ErrClosed = errors.New("database is closed")
	// ErrStatusChange: SetStatus was asked for a change that would need
	// checks it does not make, such as reviving a cancelled appointment.
	ErrStatusChange = errors.New("status change not allowed")
)

// schemaVersion is the layout this code reads and writes. Bump it and add
// a step to migrations when the layout changes.
//
//	1  appointments, identities, schedule, seats, meta (and, from some
//	   builds, clerks, closures and audit)
//	2  adds clerks, closures, audit and counters where missing
//	3  adds deliveries (webhook dedupe marks)
//	4  appointment records carry the party size and how many arrived
//	   (record version 2); seat counts count people
const schemaVersion uint32 = 4

// migrations[v] turns a version v file into a version v+1 file, inside the
// Open transaction.
var migrations = map[uint32]func(*bolt.Tx) error{
	1: func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketClerks, bucketClosures, bucketAudit, bucketCounters} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %q: %w", name, err)
			}
		}
		return nil
	},
	2: func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketDeliveries); err != nil {
			return fmt.Errorf("create bucket %q: %w", bucketDeliveries, err)
		}
		return nil
	},
	// Version 1 records are parties of one: each seat count already equals
	// the people in its slot, so only the records change.
	3: func(tx *bolt.Tx) error {
		appts := tx.Bucket(bucketAppointments)
		type kv struct{ k, v []byte }
		var redo []kv
		err := appts.ForEach(func(k, v []byte) error {
			if len(v) == 0 || v[0] != recordV1 {
				return nil
			}
			a, err := decodeRecord(k, v, time.UTC)
			if err != nil {
				return err
			}
			rec, err := encodeRecord(a)
			if err != nil {
				return fmt.Errorf("record %q: %w", k, err)
			}
			redo = append(redo, kv{bytes.Clone(k), rec})
			return nil
		})
		if err != nil {
			return err
		}
		for _, r := range redo { // not inside ForEach: a Put may move the cursor's page
			if err := appts.Put(r.k, r.v); err != nil {
				return err
			}
		}
		return nil
	},
}

// allocSize is how much the file grows at a time once past it: bolt's 16 MB
// default would add up to 16 MB of empty file.
const allocSize = 1 << 20

// commitMode is how Insert commits.
type commitMode int

const (
	// commitGroup commits at once when no commit is being written, and
	// otherwise groups the bookings that queue meanwhile into the next
	// commit (one fsync); see group.go.
	commitGroup commitMode = iota
	// commitAdaptive uses bolt's Batch, which groups concurrent bookings
	// into one commit (one fsync), when another Insert is in flight, and
	// Update when alone: Batch would wait MaxBatchDelay (10 ms) for company.
	commitAdaptive
	commitUpdate // always Update: one fsync per booking
	commitBatch  // always Batch
)

// Options configure Open. The zero value is good for production.
type Options struct {
	// Timeout is how long Open waits for the file lock; 0 means 1 s.
	Timeout time.Duration
	// Location is the zone of the times returned; nil means UTC. Pass the
	// program's zone. Times are stored as Unix seconds either way.
	Location *time.Location
	// NoSync skips fsync on commit: for tests and benchmarks only, a crash
	// can then lose or corrupt data.
	NoSync bool
}

// Store keeps appointments in a bbolt file. It implements scheduling.Store;
// every method is one transaction. Safe for concurrent use.
type Store struct {
	path string
	opts Options
	loc  *time.Location

	commit   commitMode // how Insert commits; see bench_test.go
	inflight atomic.Int32
	group    group // Insert's group commit

	mu sync.RWMutex // write-locked only while Compact or Close swap db
	db *bolt.DB     // nil once closed
}

var _ scheduling.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path, upgrading its
// schema if it is older, and removes what an interrupted Compact left
// beside it. Errors wrap ErrLocked, ErrCorrupt or
// ErrNewerSchema when those are the cause.
func Open(path string, opts Options) (*Store, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	s := &Store{path: path, opts: opts, loc: opts.Location, commit: commitGroup}
	if s.loc == nil {
		s.loc = time.UTC
	}
	db, err := s.open()
	if err != nil {
		return nil, err
	}
	// Holding the lock now: no compaction is running elsewhere, so any
	// compaction file beside the database is a crash's leftover.
	if err := removeLeftovers(path); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s.db = db
	return s, nil
}

func (s *Store) open() (*bolt.DB, error) {
	db, err := bolt.Open(s.path, 0o600, &bolt.Options{Timeout: s.opts.Timeout, NoSync: s.opts.NoSync})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("open %s: %w", s.path, ErrLocked)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum),
		errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrInvalidMapping):
		return nil, fmt.Errorf("open %s: %w (%v)", s.path, ErrCorrupt, err)
	case err != nil:
		return nil, fmt.Errorf("open %s: %w", s.path, err)
	}
	db.AllocSize = allocSize
	if err := db.Update(func(tx *bolt.Tx) error { return prepare(tx, migrations) }); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", s.path, err)
	}
	return db, nil
}

// prepare creates the buckets of a new file, or checks the schema version
// of an existing one and migrates it.
func prepare(tx *bolt.Tx, steps map[uint32]func(*bolt.Tx) error) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		empty := true
		tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
		if !empty {
			return fmt.Errorf("no schema version: %w", ErrCorrupt)
		}
		for _, name := range allBuckets {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keyMetaSchema, encodeCount(schemaVersion))
	}
	v, err := readSchema(tx)
	if err != nil {
		return err
	}
	if err := migrate(tx, v, schemaVersion, steps); err != nil {
		return err
	}
	for _, name := range allBuckets {
		if tx.Bucket(name) == nil {
			return fmt.Errorf("bucket %q missing: %w", name, ErrCorrupt)
		}
	}
	return nil
}

func readSchema(tx *bolt.Tx) (uint32, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, fmt.Errorf("no meta bucket: %w", ErrCorrupt)
	}
	v := meta.Get(keyMetaSchema)
	if len(v) != 4 {
		return 0, fmt.Errorf("schema version %x: %w", v, ErrCorrupt)
	}
	return binary.BigEndian.Uint32(v), nil
}

// migrate runs steps[from], steps[from+1], ... until the file is at
// version to, then records the version.
func migrate(tx *bolt.Tx, from, to uint32, steps map[uint32]func(*bolt.Tx) error) error {
	if from > to {
		return fmt.Errorf("schema version %d, this program knows up to %d: %w", from, to, ErrNewerSchema)
	}
	if from == to {
		return nil
	}
	for v := from; v < to; v++ {
		step, ok := steps[v]
		if !ok {
			return fmt.Errorf("no migration from schema version %d: %w", v, ErrCorrupt)
		}
		if err := step(tx); err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w", v, v+1, err)
		}
	}
	return tx.Bucket(bucketMeta).Put(keyMetaSchema, encodeCount(to))
}

// Path returns the file name the Store was opened with.
func (s *Store) Path() string { return s.path }

// Close closes the file. Further calls return ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil {
		return ErrClosed
	}
	err := s.db.Close()
	s.db = nil
	return err
}

// view and update run fn in a read or write transaction.
func (s *Store) view(fn func(*bolt.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return ErrClosed
	}
	return s.db.View(fn)
}

func (s *Store) update(fn func(*bolt.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return ErrClosed
	}
	return s.db.Update(fn)
}

// batchUpdate is update through bolt's Batch: fn may run more than once and
// must be idempotent, and an error it returns makes the batch retry.
func (s *Store) batchUpdate(fn func(*bolt.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return ErrClosed
	}
	return s.db.Batch(fn)
}
