// Package twiliotest is a fake of the part of Twilio's REST API cita uses,
// served over HTTP (httptest), so that the real twilio-go client talks to
// it: messages (create, scheduled sends, list in pages, cancel, redact,
// delete; WhatsApp's Content templates, rendered into the body as Twilio
// lists them) and their media (list, delete; a fetch of a picture's
// content is counted, for tests that it never happens). It records every
// request, answers 429/5xx on demand (for n requests, or for a while: an
// outage), and can answer late (Hang) so that a client times out after the
// call took effect. Point the SDK at it with twilio.Rewrite, or run the bot
// with TWILIO_API_BASE set to its URL.
//
// Use only fictional numbers (+1 312 555 0100..0199).
package twiliotest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Credentials of the fake account. The SDK accepts only alphanumeric ones.
const (
	AccountSID = "AC00000000000000000000000000000001"
	AuthToken  = "fa4e0000000000000000000000000001"
	ServiceSID = "MG00000000000000000000000000000001"
)

// Message is a message as the fake holds it.
type Message struct {
	SID       string
	To, From  string
	Body      string
	Status    string // scheduled, canceled, queued, delivered, received...
	Direction string // inbound, outbound-api
	Service   string // MessagingServiceSid
	SendAt    time.Time
	Created   time.Time
	Sent      time.Time // zero until sent
	Media     []string  // media SIDs still present
	// ContentSID and ContentVariables are a templated message's (WhatsApp):
	// its Body is then the template rendered, as Twilio lists it.
	ContentSID       string
	ContentVariables string
}

// Request is one request the fake received.
type Request struct {
	Method string
	Path   string
	Form   url.Values // query and form body
}

// Server is the fake. Its zero value is not usable: call New.
type Server struct {
	URL string
	srv *httptest.Server
	now func() time.Time

	mu       sync.Mutex
	seq      int
	messages map[string]*Message
	deleted  []Message
	requests []Request
	faults   []fault
	hangs    []hang
	// created is closed (and replaced) whenever a message is created, so
	// that WaitSent waits for a signal instead of polling.
	created chan struct{}
	// templates are the Content templates a create may name, by SID.
	templates map[string]string
	// mediaFetched counts requests for a media file's content.
	mediaFetched int
}

type hang struct {
	method, path string // path: substring to match
	delay        time.Duration
	left         int
}

type fault struct {
	method, path string // path: substring to match
	status, left int
	// until is closed when an outage (FailFor) ends; nil for a fault
	// counted in requests.
	until chan struct{}
}

// New starts a fake whose clock is now (for created and sent dates and the
// scheduling window). Close it when done.
func New(now func() time.Time) *Server {
	s := &Server{now: now, messages: map[string]*Message{}, created: make(chan struct{}), templates: map[string]string{}}
	mux := http.NewServeMux()
	base := "/2010-04-01/Accounts/{account}/Messages"
	mux.HandleFunc("GET "+base+".json", s.list)
	mux.HandleFunc("POST "+base+".json", s.create)
	mux.HandleFunc("GET "+base+"/{file}", s.fetch)
	mux.HandleFunc("POST "+base+"/{file}", s.update)
	mux.HandleFunc("DELETE "+base+"/{file}", s.delete)
	mux.HandleFunc("GET "+base+"/{sid}/Media.json", s.listMedia)
	mux.HandleFunc("GET "+base+"/{sid}/Media/{file}", s.fetchMedia)
	mux.HandleFunc("DELETE "+base+"/{sid}/Media/{file}", s.deleteMedia)
	// Call records: the fake's account has none (channels/voice tests its
	// redaction against a Calls fake of its own).
	mux.HandleFunc("GET /2010-04-01/Accounts/{account}/Calls.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"calls": [], "page": 0, "page_size": 50, "next_page_uri": null}`)
	})
	s.srv = httptest.NewServer(s.guard(mux))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Fail makes the next n requests whose method is method and whose path
// contains path answer status with a Twilio error body.
func (s *Server) Fail(method, path string, status, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{method: method, path: path, status: status, left: n})
}

// FailFor makes every request whose method is method and whose path
// contains path answer status for d from now: an outage of Twilio's API
// that outlasts a client's retries. The returned channel is closed when
// the outage is over.
func (s *Server) FailFor(method, path string, status int, d time.Duration) <-chan struct{} {
	over := make(chan struct{})
	s.mu.Lock()
	s.faults = append(s.faults, fault{method: method, path: path, status: status, left: 1, until: over})
	s.mu.Unlock()
	// A timer, not the clock: the fake's clock (now) is the tests' pinned
	// time, while an outage lasts in real time, as the client's backoff does.
	time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i := range s.faults {
			if s.faults[i].until == over {
				s.faults[i].left = 0
			}
		}
		close(over)
	})
	return over
}

// Template adds a Content template (a WhatsApp template approved by Meta)
// that creates may name by sid: its text holds {{1}}, {{2}}... where
// ContentVariables (JSON: {"1": "..."}) go.
func (s *Server) Template(sid, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.templates[sid] = text
}

// MediaFetched returns how many requests asked for a media file's content
// (a picture downloaded): cita should never make one (P6).
func (s *Server) MediaFetched() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mediaFetched
}

// render fills template sid with vars (JSON), as Twilio renders a
// templated message's Body; ok is false for an unknown template or
// variables that are not a JSON object of strings.
func (s *Server) render(sid, vars string) (string, bool) {
	text, ok := s.templates[sid]
	if !ok {
		return "", false
	}
	values := map[string]string{}
	if vars != "" {
		if err := json.Unmarshal([]byte(vars), &values); err != nil {
			return "", false
		}
	}
	for k, v := range values {
		text = strings.ReplaceAll(text, "{{"+k+"}}", v)
	}
	return text, true
}

// Schedule stores a message scheduled for sendAt through Messaging Service
// service, as a create would, without the create's checks: a test places
// reminders it did not make (another application's, an older cita's).
func (s *Server) Schedule(to, body, service string, sendAt time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &Message{SID: s.newSID("SM"), To: to, Body: body, Service: service, Status: "scheduled",
		Direction: "outbound-api", SendAt: sendAt, Created: s.now()}
	s.messages[m.SID] = m
	return m.SID
}

// Hang makes the next n requests whose method is method and whose path
// contains path take effect at once but answer only after delay, or when
// the client gives up: the call a client timed out on has happened all the
// same, as it may at Twilio.
func (s *Server) Hang(method, path string, delay time.Duration, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hangs = append(s.hangs, hang{method, path, delay, n})
}

// Receive stores a message as if Twilio had received it from a resident at
// at, with media pictures, and returns its SID for the webhook.
func (s *Server) Receive(from, to, body string, media int, at time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &Message{SID: s.newSID("SM"), From: from, To: to, Body: body, Status: "received",
		Direction: "inbound", Created: at, Sent: at}
	for range media {
		m.Media = append(m.Media, s.newSID("ME"))
	}
	s.messages[m.SID] = m
	return m.SID
}

// Sent stores a message as if we had sent it to a resident at at (a TwiML
// reply Twilio delivered).
func (s *Server) Sent(from, to, body string, at time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &Message{SID: s.newSID("SM"), From: from, To: to, Body: body, Status: "delivered",
		Direction: "outbound-reply", Created: at, Sent: at}
	s.messages[m.SID] = m
	return m.SID
}

// Messages returns the messages the fake holds, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.messages))
	for _, m := range s.sorted() {
		c := *m
		c.Media = slices.Clone(m.Media)
		out = append(out, c)
	}
	slices.Reverse(out)
	return out
}

// Message returns the message sid, if the fake still holds it.
func (s *Server) Message(sid string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[sid]
	if !ok {
		return Message{}, false
	}
	c := *m
	c.Media = slices.Clone(m.Media)
	return c, true
}

// Scheduled returns the messages to to waiting to be sent.
func (s *Server) Scheduled(to string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		if m.To == to && m.Status == "scheduled" {
			out = append(out, m)
		}
	}
	return out
}

// SentTo returns the messages sent through the REST API to to for sending
// now (replies and notices, not scheduled reminders), oldest first.
func (s *Server) SentTo(to string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		if m.To == to && m.Direction == "outbound-api" && m.SendAt.IsZero() {
			out = append(out, m)
		}
	}
	return out
}

// WaitSent waits until SentTo(to) holds at least n messages or timeout
// passes, and returns what it holds then.
func (s *Server) WaitSent(to string, n int, timeout time.Duration) []Message {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		created := s.created
		s.mu.Unlock()
		if got := s.SentTo(to); len(got) >= n {
			return got
		}
		select {
		case <-created:
		case <-deadline.C:
			return s.SentTo(to)
		}
	}
}

// Deleted returns the messages deleted so far, as they were when deleted.
func (s *Server) Deleted() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.deleted)
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Count returns how many requests had method and a path containing path.
func (s *Server) Count(method, path string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method && strings.Contains(r.Path, path) {
			n++
		}
	}
	return n
}

// Sign returns the X-Twilio-Signature Twilio sends for a POST of form to
// url with token: base64 HMAC-SHA1 of the URL followed by the sorted
// parameter names and values.
func Sign(token, url string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(url)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(form.Get(k))
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// guard records the request, checks the account and credentials and
// applies injected faults.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Form: r.Form})
		for i := range s.faults {
			f := &s.faults[i]
			if f.left > 0 && f.method == r.Method && strings.Contains(r.URL.Path, f.path) {
				if f.until == nil {
					f.left--
				}
				s.mu.Unlock()
				apiError(w, f.status, 20000+f.status, "injected failure")
				return
			}
		}
		var delay time.Duration
		for i := range s.hangs {
			h := &s.hangs[i]
			if h.left > 0 && h.method == r.Method && strings.Contains(r.URL.Path, h.path) {
				h.left--
				delay = h.delay
				break
			}
		}
		s.mu.Unlock()
		user, pass, ok := r.BasicAuth()
		if !ok || user != AccountSID || pass != AuthToken {
			apiError(w, http.StatusUnauthorized, 20003, "Authenticate")
			return
		}
		if !strings.HasPrefix(r.URL.Path, "/2010-04-01/Accounts/"+AccountSID+"/") {
			apiError(w, http.StatusNotFound, 20404, "The requested resource was not found")
			return
		}
		if delay == 0 {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	to, body, service := r.PostForm.Get("To"), r.PostForm.Get("Body"), r.PostForm.Get("MessagingServiceSid")
	content, vars := r.PostForm.Get("ContentSid"), r.PostForm.Get("ContentVariables")
	if content != "" {
		s.mu.Lock()
		text, ok := s.render(content, vars)
		s.mu.Unlock()
		if !ok {
			apiError(w, http.StatusBadRequest, 21656, "The ContentVariables Parameter is invalid, or the ContentSid is unknown")
			return
		}
		body = text
	}
	if to == "" || (body == "" && r.PostForm.Get("MediaUrl") == "") || (service == "" && r.PostForm.Get("From") == "") {
		apiError(w, http.StatusBadRequest, 21604, "A 'To', 'Body' and 'From' or 'MessagingServiceSid' are required")
		return
	}
	m := &Message{To: to, From: r.PostForm.Get("From"), Body: body, Service: service,
		Direction: "outbound-api", Created: now, ContentSID: content, ContentVariables: vars}
	switch r.PostForm.Get("ScheduleType") {
	case "fixed":
		at, err := time.Parse(time.RFC3339, r.PostForm.Get("SendAt"))
		switch {
		case service == "":
			apiError(w, http.StatusBadRequest, 35118, "MessagingServiceSid is required to schedule a message")
			return
		case err != nil:
			apiError(w, http.StatusBadRequest, 35111, "SendAt must be an ISO 8601 time")
			return
		case at.Before(now.Add(15*time.Minute)) || at.After(now.Add(35*24*time.Hour)):
			apiError(w, http.StatusBadRequest, 35114, "SendAt must be between 15 minutes and 35 days ahead")
			return
		}
		m.Status, m.SendAt = "scheduled", at
	case "":
		m.Status, m.Sent = "delivered", now
	default:
		apiError(w, http.StatusBadRequest, 35112, "ScheduleType must be fixed")
		return
	}
	s.mu.Lock()
	m.SID = s.newSID("SM")
	s.messages[m.SID] = m
	out := s.json(m)
	close(s.created)
	s.created = make(chan struct{})
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.Form
	before, hasBefore := parseFilterDate(q.Get("DateSent<"))
	after, hasAfter := parseFilterDate(q.Get("DateSent>"))
	size, _ := strconv.Atoi(q.Get("PageSize"))
	if size <= 0 {
		size = 50 // Twilio's default page
	}
	size = min(size, 1000) // and its largest
	page, _ := strconv.Atoi(q.Get("Page"))
	s.mu.Lock()
	var match []*Message
	for _, m := range s.sorted() {
		if (q.Get("To") != "" && m.To != q.Get("To")) || (q.Get("From") != "" && m.From != q.Get("From")) {
			continue
		}
		if (hasBefore || hasAfter) && m.Sent.IsZero() {
			continue
		}
		if (hasBefore && !m.Sent.Before(before)) || (hasAfter && m.Sent.Before(after)) {
			continue
		}
		match = append(match, m)
	}
	from := min(page*size, len(match))
	to := min(from+size, len(match))
	out := make([]map[string]any, 0, to-from)
	for _, m := range match[from:to] {
		out = append(out, s.json(m))
	}
	s.mu.Unlock()
	resp := map[string]any{
		"messages": out, "page": page, "page_size": size, "start": from, "end": to,
		"uri": r.URL.RequestURI(), "first_page_uri": r.URL.Path,
	}
	if to < len(match) {
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("Page", strconv.Itoa(page+1))
		next.Set("PageSize", strconv.Itoa(size))
		resp["next_page_uri"] = r.URL.Path + "?" + next.Encode()
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) fetch(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[strings.TrimSuffix(r.PathValue("file"), ".json")]
	if !ok {
		apiError(w, http.StatusNotFound, 20404, "The requested resource was not found")
		return
	}
	writeJSON(w, http.StatusOK, s.json(m))
}

func (s *Server) update(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[strings.TrimSuffix(r.PathValue("file"), ".json")]
	if !ok {
		apiError(w, http.StatusNotFound, 20404, "The requested resource was not found")
		return
	}
	if st := r.PostForm.Get("Status"); st != "" {
		if st != "canceled" || m.Status != "scheduled" {
			apiError(w, http.StatusBadRequest, 30409, "Only a scheduled message can be canceled")
			return
		}
		m.Status = "canceled"
	}
	if _, ok := r.PostForm["Body"]; ok {
		if r.PostForm.Get("Body") != "" {
			apiError(w, http.StatusBadRequest, 20001, "Body can only be redacted (set empty)")
			return
		}
		m.Body = ""
	}
	writeJSON(w, http.StatusOK, s.json(m))
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sid := strings.TrimSuffix(r.PathValue("file"), ".json")
	m, ok := s.messages[sid]
	if !ok {
		apiError(w, http.StatusNotFound, 20404, "The requested resource was not found")
		return
	}
	if m.Status == "scheduled" || m.Status == "queued" || m.Status == "sending" || m.Status == "receiving" || m.Status == "accepted" {
		apiError(w, http.StatusConflict, 20009, "Cannot delete a message that is still being processed")
		return
	}
	s.deleted = append(s.deleted, *m)
	delete(s.messages, sid)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listMedia(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[r.PathValue("sid")]
	if !ok {
		apiError(w, http.StatusNotFound, 20404, "The requested resource was not found")
		return
	}
	var list []map[string]any
	for _, me := range m.Media {
		list = append(list, map[string]any{
			"sid": me, "parent_sid": m.SID, "account_sid": AccountSID, "content_type": "image/jpeg",
			"uri": fmt.Sprintf("/2010-04-01/Accounts/%s/Messages/%s/Media/%s.json", AccountSID, m.SID, me),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"media_list": list, "page": 0, "page_size": 50, "uri": r.URL.RequestURI()})
}

// fetchMedia serves a media resource; without .json it is the picture
// itself, which cita must never download: tests check Count("GET", "/Media/ME").
func (s *Server) fetchMedia(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	file := r.PathValue("file")
	m, ok := s.messages[r.PathValue("sid")]
	if !ok || !slices.Contains(m.Media, strings.TrimSuffix(file, ".json")) {
		apiError(w, http.StatusNotFound, 20404, "The requested resource was not found")
		return
	}
	if strings.HasSuffix(file, ".json") {
		writeJSON(w, http.StatusOK, map[string]any{"sid": strings.TrimSuffix(file, ".json"), "parent_sid": m.SID})
		return
	}
	s.mediaFetched++
	w.Header().Set("Content-Type", "image/jpeg")
	_, _ = w.Write([]byte("\xff\xd8\xff\xe0 a picture of a passport"))
}

func (s *Server) deleteMedia(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[r.PathValue("sid")]
	me := strings.TrimSuffix(r.PathValue("file"), ".json")
	if !ok || !slices.Contains(m.Media, me) {
		apiError(w, http.StatusNotFound, 20404, "The requested resource was not found")
		return
	}
	m.Media = slices.DeleteFunc(m.Media, func(s string) bool { return s == me })
	w.WriteHeader(http.StatusNoContent)
}

// sorted returns the messages newest first, as Twilio lists them.
func (s *Server) sorted() []*Message {
	out := make([]*Message, 0, len(s.messages))
	for _, m := range s.messages {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].SID > out[j].SID
	})
	return out
}

func (s *Server) newSID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%032d", prefix, s.seq)
}

func (s *Server) json(m *Message) map[string]any {
	out := map[string]any{
		"sid": m.SID, "account_sid": AccountSID, "to": m.To, "from": m.From, "body": m.Body,
		"status": m.Status, "direction": m.Direction, "num_media": strconv.Itoa(len(m.Media)),
		"num_segments": "1", "api_version": "2010-04-01",
		"date_created": m.Created.UTC().Format(time.RFC1123Z),
		"date_updated": m.Created.UTC().Format(time.RFC1123Z),
		"uri":          fmt.Sprintf("/2010-04-01/Accounts/%s/Messages/%s.json", AccountSID, m.SID),
	}
	if m.Service != "" {
		out["messaging_service_sid"] = m.Service
	}
	if !m.Sent.IsZero() {
		out["date_sent"] = m.Sent.UTC().Format(time.RFC1123Z)
	}
	return out
}

// parseFilterDate reads a DateSent filter: RFC 3339 (what twilio-go sends)
// or YYYY-MM-DD (what Twilio documents, meaning that whole day).
func parseFilterDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

func apiError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"status": status, "code": code, "message": msg,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
