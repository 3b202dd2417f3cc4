package storage

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/cita-city/cita/scheduling"
)

// An appointment record is the value under its confirmation code in
// bucketAppointments. Version 2 (schema 4), 52 bytes plus the two strings:
//
//	0      version (2)
//	1      status
//	2..5   identity epoch, uint32 BE
//	6..37  identity hash (all zero once cancelled)
//	38..45 slot start, int64 BE Unix seconds
//	46..47 day made, uint16 BE days since 1970-01-01 (good until 2149)
//	48     party: people the booking covers, 1..255
//	49     arrived: people checked in, 0 unless checked in, then 1..party
//	50     length of language, then the language
//	..     length of office id, then the office id
//
// Version 1 (schemas 1 to 3) had no party and arrived bytes: it reads as a
// party of one, arrived if checked in. Migration 3 rewrites such records.
// Nothing else is stored: no time of booking, no channel, no name.
const (
	recordV1      = 1
	recordFixedV1 = 48
	recordV2      = 2
	recordFixedV2 = 50
)

// epochDay is day 0 of the day-made field.
var epochDay = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

func encodeDay(d scheduling.Date) (uint16, error) {
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	if d.IsZero() || scheduling.DateOf(t) != d {
		return 0, fmt.Errorf("day made %v: not a valid date", d)
	}
	n := t.Sub(epochDay).Hours() / 24
	if n < 0 || n > 0xffff {
		return 0, fmt.Errorf("day made %v: out of range 1970..2149", d)
	}
	return uint16(n), nil
}

func decodeDay(n uint16) scheduling.Date {
	return scheduling.DateOf(epochDay.AddDate(0, 0, int(n)))
}

// validStatus reports whether s is one of the known statuses.
func validStatus(s scheduling.Status) bool {
	return s >= scheduling.StatusBooked && s <= scheduling.StatusCancelled
}

// encodeRecord encodes a without its code (the key). It validates every
// field, so nothing malformed reaches the file.
func encodeRecord(a scheduling.Appointment) ([]byte, error) {
	if !validStatus(a.Status) {
		return nil, fmt.Errorf("status %v: unknown", a.Status)
	}
	if err := checkText("language", a.Lang, maxLang); err != nil {
		return nil, err
	}
	if err := checkText("office id", a.Office, maxOffice); err != nil {
		return nil, err
	}
	start, err := unixStart(a.Start)
	if err != nil {
		return nil, err
	}
	made, err := encodeDay(a.Made)
	if err != nil {
		return nil, err
	}
	party := a.People()
	if party > 255 {
		return nil, fmt.Errorf("party of %d: at most 255", party)
	}
	if err := checkArrived(a); err != nil {
		return nil, err
	}
	b := make([]byte, 0, recordFixedV2+2+len(a.Lang)+len(a.Office))
	b = append(b, recordV2, byte(a.Status))
	b = binary.BigEndian.AppendUint32(b, a.Identity.Epoch)
	b = append(b, a.Identity.Hash[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(start))
	b = binary.BigEndian.AppendUint16(b, made)
	b = append(b, byte(party), byte(a.Arrived))
	b = append(b, byte(len(a.Lang)))
	b = append(b, a.Lang...)
	b = append(b, byte(len(a.Office)))
	b = append(b, a.Office...)
	return b, nil
}

// decodeRecord decodes the record v stored under code, with the start in loc.
func decodeRecord(code, v []byte, loc *time.Location) (scheduling.Appointment, error) {
	var a scheduling.Appointment
	bad := func(why string) (scheduling.Appointment, error) {
		return scheduling.Appointment{}, fmt.Errorf("record %q: %s: %w", code, why, ErrCorrupt)
	}
	fixed := recordFixedV2
	switch {
	case len(v) > 0 && v[0] == recordV1:
		fixed = recordFixedV1
	case len(v) > 0 && v[0] != recordV2:
		return bad(fmt.Sprintf("unknown record version %d", v[0]))
	}
	if len(v) < fixed+2 {
		return bad("too short")
	}
	a.Code = string(code)
	a.Status = scheduling.Status(v[1])
	if !validStatus(a.Status) {
		return bad(fmt.Sprintf("unknown status %d", v[1]))
	}
	a.Identity.Epoch = binary.BigEndian.Uint32(v[2:])
	copy(a.Identity.Hash[:], v[6:38])
	a.Start = time.Unix(int64(binary.BigEndian.Uint64(v[38:])), 0).In(loc)
	a.Made = decodeDay(binary.BigEndian.Uint16(v[46:]))
	if fixed == recordFixedV1 {
		a.Party = 1
		if a.Status == scheduling.StatusCheckedIn {
			a.Arrived = 1
		}
	} else {
		a.Party, a.Arrived = int(v[48]), int(v[49])
		if a.Party < 1 {
			return bad("party of 0")
		}
		if err := checkArrived(a); err != nil {
			return bad(err.Error())
		}
	}
	rest := v[fixed:]
	n := int(rest[0])
	if len(rest) < 1+n+1 {
		return bad("truncated language")
	}
	a.Lang = string(rest[1 : 1+n])
	rest = rest[1+n:]
	n = int(rest[0])
	if len(rest) != 1+n {
		return bad("bad office length")
	}
	a.Office = string(rest[1:])
	return a, nil
}

// checkArrived holds a's arrived count to its status: 1..party once
// checked in, 0 otherwise.
func checkArrived(a scheduling.Appointment) error {
	if a.Status == scheduling.StatusCheckedIn && (a.Arrived < 1 || a.Arrived > a.People()) ||
		a.Status != scheduling.StatusCheckedIn && a.Arrived != 0 {
		return fmt.Errorf("%d of a party of %d arrived while %v", a.Arrived, a.People(), a.Status)
	}
	return nil
}
