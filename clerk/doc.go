// Package clerk is the web app clerks run the day from: sign in, the day's
// list per office as a queue (check-in by confirmation code or phone
// number, call to a desk, served), no-shows, walk-ins, cancellations,
// closing an office for a day, a print view, CSV export, a two-week
// capacity chart, the managers' report over the anonymous counters, and the
// audit log; and the waiting-room screen (/lobby/), which needs an office's
// display token instead of a session and shows codes and desks only.
//
// The queue (arrival and call times, desks, served) lives in memory only:
// an appointment at rest stays the P1 fields (docs/DESIGN.md).
//
// Pages are rendered on the server with html/template; templates, the style
// sheet and the one small script are embedded. No page shows more of a
// resident than the P1 fields of an appointment (office, time, language,
// confirmation code, status): a phone number a clerk types is normalized,
// hashed, looked up and dropped, never echoed, stored or logged. A phone
// look-up finds only an appointment at the clerk's office that day and says
// nothing about others; look-ups are rate-limited per clerk and audited.
//
// The handler protects itself: every route but the sign-in page and the
// static files needs a session (server-side, HttpOnly, SameSite=Strict,
// Secure unless Config.PlainHTTP, 30 idle minutes, 12 hours at most, one per
// clerk); cross-site POSTs are refused by http.CrossOriginProtection;
// sign-ins on one name or from one address are decided one at a time, and
// failures lock the address and, when they come from several addresses,
// the name (see throttle.go); every response carries a
// Content-Security-Policy without 'unsafe-inline'.
//
// The package reads no clock of its own: Config.Now is the clock.
package clerk
