package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/cita-city/cita/scheduling"
)

// Top-level buckets. Every key and value in the file lives in one of these;
// Check reports any other bucket, and Inspect prints all of them.
var (
	// bucketAppointments: confirmation code -> record (see record.go).
	bucketAppointments = []byte("appointments")
	// bucketIdentities: epoch (4 bytes BE) + hash (32 bytes) -> confirmation
	// code, only for active (booked or checked-in) appointments.
	bucketIdentities = []byte("identities")
	// bucketSchedule: office + 0x00 + start (8 bytes BE Unix seconds) + code
	// -> empty, for every record whatever its status.
	bucketSchedule = []byte("schedule")
	// bucketSeats: office + 0x00 + start (8 bytes BE Unix seconds) -> number
	// of records in that slot whose status is not cancelled (uint32 BE).
	// A slot with no such record has no key.
	bucketSeats = []byte("seats")
	// bucketMeta: keyMetaSchema -> schema version (uint32 BE).
	bucketMeta = []byte("meta")
	// bucketClerks: clerk name -> account record (see encodeClerk in
	// clerk.go). Staff accounts; nothing here is about residents. Schema 2.
	bucketClerks = []byte("clerks")
	// bucketClosures: office + 0x00 + day (uint16 BE days since 1970-01-01)
	// -> empty: closures a manager made at run time (a snow day). Schema 2.
	bucketClosures = []byte("closures")
	// bucketAudit: time (8 bytes BE Unix seconds) + sequence (8 bytes BE)
	// -> audit entry (see encodeAudit in audit.go), kept AuditRetention.
	// Schema 2.
	bucketAudit = []byte("audit")
	// bucketCounters: office + 0x00 + day (uint16 BE days since 1970-01-01)
	// -> anonymous counts of a closed day (see counters.go). Schema 2.
	bucketCounters = []byte("counters")
	// bucketDeliveries: keyed digest of a webhook delivery's provider id (32
	// bytes) -> the hour it was first seen (uint32 BE hours since 1970), kept
	// DeliveryWindow to spot retries and replays (see delivery.go). Schema 3.
	bucketDeliveries = []byte("deliveries")
)

// keyMetaSchema names the schema version in bucketMeta.
var keyMetaSchema = []byte("schema")

// allBuckets lists the buckets of the current schema.
var allBuckets = [][]byte{
	bucketAppointments, bucketIdentities, bucketSchedule, bucketSeats, bucketMeta,
	bucketClerks, bucketClosures, bucketAudit, bucketCounters, bucketDeliveries,
}

// Limits on the strings stored. Office ids never contain 0x00 (it ends the
// office part of a key) nor other control characters.
const (
	maxOffice = 64
	maxLang   = 35 // longest BCP 47 tag worth keeping
	maxCode   = 64
)

func checkText(what, s string, maxLen int) error {
	if s == "" || len(s) > maxLen {
		return fmt.Errorf("%s must be 1 to %d bytes, got %d", what, maxLen, len(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return fmt.Errorf("%s contains a control character", what)
		}
	}
	return nil
}

// unixStart returns t as the Unix seconds stored in keys: slots start on
// whole seconds after 1970, so keys sort by time.
func unixStart(t time.Time) (int64, error) {
	if t.IsZero() || t.Unix() < 0 || t.Nanosecond() != 0 {
		return 0, fmt.Errorf("slot start %v: want whole seconds after 1970", t)
	}
	return t.Unix(), nil
}

// slotKey is office + 0x00 + start: all of one office's slots are
// contiguous and sorted by time.
func slotKey(office string, start int64) []byte {
	k := make([]byte, 0, len(office)+1+8)
	k = append(k, office...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, uint64(start))
}

// scheduleKey is slotKey + code.
func scheduleKey(office string, start int64, code string) []byte {
	return append(slotKey(office, start), code...)
}

// splitSlotKey splits a seats or schedule key into office, start and the
// rest (the code of a schedule key).
func splitSlotKey(k []byte) (office string, start int64, rest []byte, err error) {
	i := bytes.IndexByte(k, 0)
	if i < 1 || len(k) < i+1+8 {
		return "", 0, nil, fmt.Errorf("malformed slot key %x", k)
	}
	start = int64(binary.BigEndian.Uint64(k[i+1 : i+9]))
	return string(k[:i]), start, k[i+9:], nil
}

// officePrefix is the part of slot keys shared by all slots of office.
func officePrefix(office string) []byte { return append([]byte(office), 0) }

// dayKey is office + 0x00 + day (uint16 BE days since 1970-01-01): the key
// of closures and counters.
func dayKey(office string, day scheduling.Date) ([]byte, error) {
	n, err := encodeDay(day)
	if err != nil {
		return nil, err
	}
	return binary.BigEndian.AppendUint16(officePrefix(office), n), nil
}

// splitDayKey undoes dayKey.
func splitDayKey(k []byte) (office string, day scheduling.Date, ok bool) {
	i := bytes.IndexByte(k, 0)
	if i < 1 || len(k) != i+3 {
		return "", scheduling.Date{}, false
	}
	return string(k[:i]), decodeDay(binary.BigEndian.Uint16(k[i+1:])), true
}

// identityKey is epoch (4 bytes BE) + hash.
func identityKey(id scheduling.Identity) []byte {
	k := binary.BigEndian.AppendUint32(make([]byte, 0, 4+32), id.Epoch)
	return append(k, id.Hash[:]...)
}

func splitIdentityKey(k []byte) (scheduling.Identity, error) {
	var id scheduling.Identity
	if len(k) != 4+32 {
		return id, fmt.Errorf("malformed identity key %x", k)
	}
	id.Epoch = binary.BigEndian.Uint32(k)
	copy(id.Hash[:], k[4:])
	return id, nil
}

func encodeCount(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }

func decodeCount(v []byte) (uint32, error) {
	if len(v) != 4 {
		return 0, fmt.Errorf("malformed seat count %x", v)
	}
	return binary.BigEndian.Uint32(v), nil
}
