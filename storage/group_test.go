package storage

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestGroupCommitFailures runs concurrent grouped transactions of which
// some fail: each caller gets its own result, and exactly the writes of
// the ones that succeeded are committed.
func TestGroupCommitFailures(t *testing.T) {
	s := mustOpenAt(t, filepath.Join(t.TempDir(), "cita.db"), Options{NoSync: true})
	bucket := []byte("group-test")
	if err := s.update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(bucket); return err }); err != nil {
		t.Fatal(err)
	}
	errOdd := errors.New("odd one out")
	const n = 300
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			fn := func(tx *bolt.Tx) error {
				if err := tx.Bucket(bucket).Put(fmt.Appendf(nil, "%04d", i), []byte{1}); err != nil {
					return err
				}
				if i%7 == 3 {
					return errOdd // after writing: the group must roll it back
				}
				return nil
			}
			errs[i] = s.grouped(fn, fn)
		})
	}
	wg.Wait()
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		for i := range n {
			fail := i%7 == 3
			if fail != errors.Is(errs[i], errOdd) || !fail && errs[i] != nil {
				t.Errorf("call %d: %v", i, errs[i])
			}
			if got := b.Get(fmt.Appendf(nil, "%04d", i)) != nil; got == fail {
				t.Errorf("call %d: stored %v, failed %v", i, got, fail)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The store's invariant check at the end knows only cita's buckets.
	if err := s.update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucket) }); err != nil {
		t.Fatal(err)
	}
}
