// Package scheduling holds the rules of a city's ID program and the booking
// service built on them.
//
// A program file (TOML, see Load and the annotated demo.toml) says where the
// offices are, when they open, how long a slot lasts, how many desks serve
// each slot, which days are closed, how far ahead and how close to the hour
// residents may book, and which eligibility questions and documents to show.
// Load checks all of it and points at the line of the first mistake, so an
// operator can fix a file without reading Go. Demo returns a Chicago program
// that runs without any file.
//
// Time is the hard part. Slots are made from the wall clock in the program's
// zone (Date.In), never by adding minutes to an instant, so a 09:00 slot is at
// 09:00 on both sides of a DST change. In the hour the clocks skip there are
// no slots; a wall time the clocks show twice is one slot. Nothing here calls
// time.Now: every function that depends on the time takes now, so tests can
// stand on any day, including the two DST Sundays.
//
// Service applies the booking rules (lead time, horizon, closures, one active
// appointment per resident, which may cover a party of up to max_party
// people seated together in one slot, a daily limit of changes) over a Store, which
// keeps appointments and checks seat counts in one transaction; storage
// implements it on bbolt. What an appointment holds is fixed by promise P1:
// see Appointment. The daily change counts stay in memory for the same
// reason and are dropped when the day ends.
//
// The package imports no provider SDK, no database and no network code.
package scheduling
