// Package clerk is the web app clerks run the day from: sign in, the day's
// list per office, check-in by confirmation code or phone number, no-shows,
// walk-ins, cancellations, closing an office for a day, a print view, CSV
// export, a two-week capacity chart and the audit log.
//
// Pages are rendered on the server with html/template; templates, the style
// sheet and the one small script are embedded. No page shows more of a
// resident than the P1 fields of an appointment (office, time, language,
// confirmation code, status): a phone number a clerk types is normalized,
// hashed, looked up and dropped, never echoed, stored or logged.
//
// The handler protects itself: every route but the sign-in page and the
// static files needs a session (server-side, HttpOnly, SameSite=Strict,
// Secure unless Config.PlainHTTP, 30 idle minutes); cross-site POSTs are
// refused by http.CrossOriginProtection; failed sign-ins lock the account
// and the client address for 15 minutes after 5 tries; every response
// carries a Content-Security-Policy without 'unsafe-inline'.
//
// The package reads no clock of its own: Config.Now is the clock.
package clerk
