// Package telegramtest is a fake Telegram Bot API for tests: an httptest
// server speaking the wire format (not tgbotapi's types), so the real client
// can be pointed at it with the endpoint pattern Endpoint returns.
//
// It answers getMe, getUpdates (offset, limit, long poll with a short wait),
// sendMessage, sendDocument (multipart; the file's bytes are kept),
// answerCallbackQuery, editMessageText, editMessageReplyMarkup,
// deleteMessage, setWebhook and deleteWebhook. It enforces Telegram's limits
// on messages (send and edit methods): 30 a second overall and one a second
// per chat, answering 429 with retry_after, and can be told to answer 429 to
// the next messages whatever the rate, 5xx to the next calls (Fail), any
// status and body to the next calls of one method (FailRaw), or late so
// that the client times out (Hang). It records every request and
// keeps every chat's messages, so tests can read replies, press buttons and
// parse documents.
package telegramtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Token is the bot token the fake accepts unless Server.Token is changed
// before the first request.
const Token = "123456:TEST-token-do-not-leak_abcdefghij"

// Request is one call the fake answered.
type Request struct {
	Method   string
	ChatID   int64      // 0 when the method has none
	Params   url.Values // form fields, multipart ones included
	File     []byte     // sendDocument's file
	FileName string
	Status   int // HTTP status of the answer
	At       time.Time
}

// Button is an inline keyboard button.
type Button struct {
	Text string `json:"text"`
	Data string `json:"callback_data,omitempty"`
	// RequestContact marks a reply keyboard button asking for the phone.
	RequestContact bool `json:"request_contact,omitempty"`
}

// Message is a message of a chat, in either direction.
type Message struct {
	ID       int
	FromBot  bool
	Text     string     // text or caption
	Buttons  [][]Button // inline keyboard, as last set
	Keyboard [][]Button // reply keyboard sent with it
	Document []byte
	FileName string
	Deleted  bool
	Kind     string // "text", "photo", "contact", "document" (from the bot)
}

// Server is the fake Bot API.
type Server struct {
	URL   string
	Token string
	// PerSecond and PerChat are the limits enforced on messages; PollWait
	// caps a getUpdates wait. Set before use.
	PerSecond int
	PerChat   time.Duration
	PollWait  time.Duration
	// Clock stamps requests and applies the limits; the wall clock
	// (time.Now) unless set before use.
	Clock func() time.Time

	srv *httptest.Server

	mu          sync.Mutex
	requests    []Request
	queue       []queued // updates not yet confirmed
	nextUpdate  int
	nextMessage int
	confirmed   int // highest offset a getUpdates asked with
	arrived     chan struct{}
	accepted    []time.Time
	lastChat    map[int64]time.Time
	forced      []int
	failures    []int // statuses to answer the next calls with
	raw         []rawFault
	hangs       []hanging // next calls to answer late
	limited     int
	forcedSent  int
	chats       map[int64][]*Message
	webhookURL  string
	webhookKey  string
}

// rawFault is an answer given as it is to the next call of a method.
type rawFault struct {
	method string
	status int
	body   string
}

type hanging struct {
	delay   time.Duration
	deliver bool
}

type queued struct {
	id  int
	raw json.RawMessage
}

// NewServer starts a fake. Close it when done.
func NewServer() *Server {
	s := &Server{
		Token:       Token,
		PerSecond:   30,
		PerChat:     time.Second,
		PollWait:    time.Second,
		Clock:       time.Now,
		nextUpdate:  1000,
		nextMessage: 1,
		arrived:     make(chan struct{}),
		lastChat:    map[int64]time.Time{},
		chats:       map[int64][]*Message{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Endpoint is the API endpoint pattern for tgbotapi and TELEGRAM_API_ENDPOINT.
func (s *Server) Endpoint() string { return s.URL + "/bot%s/%s" }

// Requests returns the calls answered so far, optionally only those of the
// methods named.
func (s *Server) Requests(methods ...string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if len(methods) == 0 || contains(methods, r.Method) {
			out = append(out, r)
		}
	}
	return out
}

// Limited is how many 429s the fake answered because a limit was exceeded;
// Forced how many it answered because ForceTooMany asked.
func (s *Server) Limited() int { s.mu.Lock(); defer s.mu.Unlock(); return s.limited }

// Forced is how many forced 429s were answered.
func (s *Server) Forced() int { s.mu.Lock(); defer s.mu.Unlock(); return s.forcedSent }

// ForceTooMany makes the next n messages get 429 with retry_after seconds.
func (s *Server) ForceTooMany(n, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.forced = append(s.forced, retryAfter)
	}
}

// Fail makes the next n calls (any method but getMe and getUpdates) answer
// status, such as 500 or 502, without taking effect.
func (s *Server) Fail(status, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures = append(s.failures, status)
	}
}

// FailRaw makes the next n calls of method (getUpdates and deleteWebhook
// included) answer status with body, written as it is, without taking
// effect: a bare 500 from a proxy, or a Bot API answer whose description
// echoes what it was sent. It comes before Fail's and Hang's faults.
func (s *Server) FailRaw(method string, status int, body string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.raw = append(s.raw, rawFault{method, status, body})
	}
}

// takeRaw returns the next raw fault for method, if any.
func (s *Server) takeRaw(method string) (rawFault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.raw {
		if f.method == method {
			s.raw = append(s.raw[:i:i], s.raw[i+1:]...)
			return f, true
		}
	}
	return rawFault{}, false
}

// Hang makes the next n calls (any method but getMe and getUpdates) answer
// only after delay, or when the client gives up. With deliver the call
// takes effect first, as a send that timed out at the client may have at
// Telegram; without, it takes none.
func (s *Server) Hang(n int, delay time.Duration, deliver bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.hangs = append(s.hangs, hanging{delay, deliver})
	}
}

// Webhook returns the URL and secret of the registered webhook.
func (s *Server) Webhook() (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhookURL, s.webhookKey
}

// Confirmed is the highest offset a getUpdates call has sent: every update
// below it was confirmed as handled.
func (s *Server) Confirmed() int { s.mu.Lock(); defer s.mu.Unlock(); return s.confirmed }

// Pending is how many queued updates are not confirmed yet.
func (s *Server) Pending() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.queue) }

// Messages returns a copy of a chat's messages, oldest first.
func (s *Server) Messages(chat int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.chats[chat]))
	for _, m := range s.chats[chat] {
		out = append(out, *m)
	}
	return out
}

// Last returns the newest message the bot sent to chat that is not deleted,
// and whether there is one.
func (s *Server) Last(chat int64) (Message, bool) {
	msgs := s.Messages(chat)
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].FromBot && !msgs[i].Deleted {
			return msgs[i], true
		}
	}
	return Message{}, false
}

// WaitFor polls cond every 10 ms until it holds or timeout passes, and
// reports whether it held.
func (s *Server) WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.After(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		select {
		case <-deadline:
			return cond()
		case <-tick.C:
		}
	}
}

// Update is an update being built; its update_id is set when queued.
type Update map[string]any

// user is the sender object of a resident.
func user(id int64, lang string) map[string]any {
	u := map[string]any{"id": id, "is_bot": false, "first_name": "Resident"}
	if lang != "" {
		u["language_code"] = lang
	}
	return u
}

func privateChat(id int64) map[string]any {
	return map[string]any{"id": id, "type": "private", "first_name": "Resident"}
}

// message builds a resident's message to the bot and stores it in the chat.
func (s *Server) message(chat, from int64, lang, kind string, fields map[string]any) Update {
	s.mu.Lock()
	id := s.nextMessage
	s.nextMessage++
	text, _ := fields["text"].(string)
	s.chats[chat] = append(s.chats[chat], &Message{ID: id, Text: text, Kind: kind})
	s.mu.Unlock()
	m := map[string]any{
		"message_id": id,
		"from":       user(from, lang),
		"chat":       privateChat(chat),
		"date":       1764511200,
	}
	for k, v := range fields {
		m[k] = v
	}
	return Update{"message": m}
}

// Text is a text message from a resident; a text starting with "/" is a
// command, with the bot_command entity Telegram adds.
func (s *Server) Text(chat, from int64, lang, text string) Update {
	fields := map[string]any{"text": text}
	if strings.HasPrefix(text, "/") {
		word, _, _ := strings.Cut(text, " ")
		fields["entities"] = []map[string]any{{"type": "bot_command", "offset": 0, "length": len(word)}}
	}
	return s.message(chat, from, lang, "text", fields)
}

// Photo is a photo from a resident.
func (s *Server) Photo(chat, from int64, lang string) Update {
	return s.message(chat, from, lang, "photo", map[string]any{
		"photo": []map[string]any{{"file_id": "AgAD-photo", "file_unique_id": "u1", "width": 800, "height": 600, "file_size": 51200}},
	})
}

// Document is a file from a resident.
func (s *Server) Document(chat, from int64, lang string) Update {
	return s.message(chat, from, lang, "document", map[string]any{
		"document": map[string]any{"file_id": "BQAD-doc", "file_unique_id": "u2", "file_name": "passport.pdf"},
	})
}

// Contact is a shared contact: the resident's own when contactUser == from.
func (s *Server) Contact(chat, from, contactUser int64, lang, phone string) Update {
	return s.message(chat, from, lang, "contact", map[string]any{
		"contact": map[string]any{"phone_number": phone, "first_name": "Resident", "user_id": contactUser},
	})
}

// Press is a resident pressing the inline button with callback data data
// on the bot's message messageID, as Telegram reports it.
func (s *Server) Press(chat, from int64, lang string, messageID int, data string) Update {
	s.mu.Lock()
	var kb [][]Button
	text := ""
	for _, m := range s.chats[chat] {
		if m.ID == messageID {
			kb, text = m.Buttons, m.Text
		}
	}
	s.mu.Unlock()
	msg := map[string]any{
		"message_id": messageID,
		"from":       map[string]any{"id": 1, "is_bot": true, "first_name": "cita"},
		"chat":       privateChat(chat),
		"date":       1764511200,
		"text":       text,
	}
	if kb != nil {
		msg["reply_markup"] = map[string]any{"inline_keyboard": kb}
	}
	return Update{"callback_query": map[string]any{
		"id":            "cb" + strconv.Itoa(messageID) + "-" + data,
		"from":          user(from, lang),
		"message":       msg,
		"chat_instance": "ci",
		"data":          data,
	}}
}

// Enqueue queues u for getUpdates and returns its update_id.
func (s *Server) Enqueue(u Update) int {
	raw, id := s.Marshal(u)
	s.mu.Lock()
	s.queue = append(s.queue, queued{id, raw})
	close(s.arrived)
	s.arrived = make(chan struct{})
	s.mu.Unlock()
	return id
}

// Marshal gives u a fresh update_id and returns it as JSON, for posting to
// a webhook.
func (s *Server) Marshal(u Update) (json.RawMessage, int) {
	s.mu.Lock()
	id := s.nextUpdate
	s.nextUpdate++
	s.mu.Unlock()
	u["update_id"] = id
	raw, err := json.Marshal(u)
	if err != nil {
		panic(err)
	}
	return raw, id
}

// messageMethods are limited and count as messages to a chat.
var messageMethods = []string{"sendMessage", "sendDocument", "editMessageText", "editMessageReplyMarkup"}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || token != s.Token {
		s.answer(w, http.StatusUnauthorized, map[string]any{"ok": false, "error_code": 401, "description": "Unauthorized"})
		return
	}
	req := Request{Method: method, At: s.Clock()}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(10 << 20); err != nil {
			s.answer(w, http.StatusBadRequest, apiError(400, "Bad Request: bad multipart"))
			return
		}
		if f, h, err := r.FormFile("document"); err == nil {
			req.File, _ = io.ReadAll(f)
			req.FileName = h.Filename
			f.Close()
		}
	} else if err := r.ParseForm(); err != nil {
		s.answer(w, http.StatusBadRequest, apiError(400, "Bad Request: bad form"))
		return
	}
	req.Params = r.Form
	req.ChatID, _ = strconv.ParseInt(r.Form.Get("chat_id"), 10, 64)

	if f, ok := s.takeRaw(method); ok {
		req.Status = f.status
		s.record(req)
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, f.body)
		return
	}

	if method == "getUpdates" {
		status, body := s.getUpdates(r)
		req.Status = status
		s.record(req)
		s.answer(w, status, body)
		return
	}

	s.mu.Lock()
	var h *hanging
	if method != "getMe" && len(s.hangs) > 0 {
		h = &s.hangs[0]
		s.hangs = s.hangs[1:]
	}
	var status int
	var body any
	switch {
	case method != "getMe" && len(s.failures) > 0:
		status = s.failures[0]
		s.failures = s.failures[1:]
		body = apiError(status, http.StatusText(status))
	case h != nil && !h.deliver:
		status, body = http.StatusGatewayTimeout, apiError(504, "not delivered")
	default:
		status, body = s.call(&req)
	}
	req.Status = status
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	if h != nil {
		t := time.NewTimer(h.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	s.answer(w, status, body)
}

func (s *Server) record(req Request) {
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
}

// call answers every method but getUpdates; s.mu is held.
func (s *Server) call(req *Request) (int, any) {
	now := req.At
	if contains(messageMethods, req.Method) {
		if status, body, limited := s.limit(req.ChatID, now); limited {
			return status, body
		}
	}
	p := req.Params
	msgID, _ := strconv.Atoi(p.Get("message_id"))
	switch req.Method {
	case "getMe":
		return ok(map[string]any{"id": 1, "is_bot": true, "first_name": "cita", "username": "cita_test_bot"})
	case "sendMessage":
		buttons, keyboard := markup(p.Get("reply_markup"))
		for _, row := range buttons {
			for _, b := range row {
				if len(b.Data) > 64 { // Telegram's limit, in bytes
					return http.StatusBadRequest, apiError(400, "Bad Request: BUTTON_DATA_INVALID")
				}
			}
		}
		m := &Message{ID: s.nextMessage, FromBot: true, Text: p.Get("text"), Kind: "text"}
		s.nextMessage++
		m.Buttons, m.Keyboard = buttons, keyboard
		s.chats[req.ChatID] = append(s.chats[req.ChatID], m)
		return ok(sentMessage(req.ChatID, m.ID, m.Text))
	case "sendDocument":
		if req.File == nil {
			return http.StatusBadRequest, apiError(400, "Bad Request: there is no document in the request")
		}
		m := &Message{ID: s.nextMessage, FromBot: true, Text: p.Get("caption"), Kind: "document", Document: req.File, FileName: req.FileName}
		s.nextMessage++
		s.chats[req.ChatID] = append(s.chats[req.ChatID], m)
		return ok(sentMessage(req.ChatID, m.ID, ""))
	case "editMessageText", "editMessageReplyMarkup":
		m := s.find(req.ChatID, msgID)
		if m == nil || !m.FromBot {
			return http.StatusBadRequest, apiError(400, "Bad Request: message to edit not found")
		}
		if req.Method == "editMessageText" {
			m.Text = p.Get("text")
		}
		m.Buttons, _ = markup(p.Get("reply_markup"))
		return ok(sentMessage(req.ChatID, m.ID, m.Text))
	case "deleteMessage":
		m := s.find(req.ChatID, msgID)
		if m == nil || m.Deleted {
			return http.StatusBadRequest, apiError(400, "Bad Request: message to delete not found")
		}
		m.Deleted = true
		return ok(true)
	case "answerCallbackQuery":
		if p.Get("callback_query_id") == "" {
			return http.StatusBadRequest, apiError(400, "Bad Request: query is too old")
		}
		return ok(true)
	case "setWebhook":
		s.webhookURL, s.webhookKey = p.Get("url"), p.Get("secret_token")
		return ok(true)
	case "deleteWebhook":
		s.webhookURL, s.webhookKey = "", ""
		return ok(true)
	default:
		return http.StatusNotFound, apiError(404, "Not Found: method not found")
	}
}

// limit applies a forced 429, then the per-chat and overall limits; s.mu
// is held.
func (s *Server) limit(chat int64, now time.Time) (int, any, bool) {
	tooMany := func(after int) (int, any, bool) {
		return http.StatusTooManyRequests, map[string]any{
			"ok": false, "error_code": 429,
			"description": fmt.Sprintf("Too Many Requests: retry after %d", after),
			"parameters":  map[string]any{"retry_after": after},
		}, true
	}
	if len(s.forced) > 0 {
		after := s.forced[0]
		s.forced = s.forced[1:]
		s.forcedSent++
		return tooMany(after)
	}
	if last, seen := s.lastChat[chat]; seen && now.Sub(last) < s.PerChat {
		s.limited++
		return tooMany(1)
	}
	keep := s.accepted[:0]
	for _, t := range s.accepted {
		if now.Sub(t) < time.Second {
			keep = append(keep, t)
		}
	}
	s.accepted = keep
	if len(s.accepted) >= s.PerSecond {
		s.limited++
		return tooMany(1)
	}
	s.accepted = append(s.accepted, now)
	s.lastChat[chat] = now
	return 0, nil, false
}

// getUpdates answers updates at or after offset, waiting up to
// min(timeout, PollWait) for one; it forgets those below offset.
func (s *Server) getUpdates(r *http.Request) (int, any) {
	offset, _ := strconv.Atoi(r.Form.Get("offset"))
	timeout, _ := strconv.Atoi(r.Form.Get("timeout"))
	limit, _ := strconv.Atoi(r.Form.Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	wait := min(time.Duration(timeout)*time.Second, s.PollWait)
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if s.webhookURL != "" {
			s.mu.Unlock()
			return http.StatusConflict, apiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
		}
		if offset > s.confirmed {
			s.confirmed = offset
		}
		keep := s.queue[:0]
		var out []json.RawMessage
		for _, q := range s.queue {
			if q.id < offset {
				continue
			}
			keep = append(keep, q)
			if len(out) < limit {
				out = append(out, q.raw)
			}
		}
		s.queue = keep
		arrived := s.arrived
		s.mu.Unlock()
		if len(out) > 0 || wait <= 0 {
			if out == nil {
				out = []json.RawMessage{}
			}
			return ok(out)
		}
		select {
		case <-arrived:
		case <-deadline.C:
			wait = 0
		case <-r.Context().Done():
			return ok([]json.RawMessage{})
		}
	}
}

func (s *Server) find(chat int64, id int) *Message {
	for _, m := range s.chats[chat] {
		if m.ID == id {
			return m
		}
	}
	return nil
}

func (s *Server) answer(w http.ResponseWriter, status int, body any) {
	if status == 0 {
		status = http.StatusOK
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func ok(result any) (int, any) {
	return http.StatusOK, map[string]any{"ok": true, "result": result}
}

func apiError(code int, desc string) map[string]any {
	return map[string]any{"ok": false, "error_code": code, "description": desc}
}

func sentMessage(chat int64, id int, text string) map[string]any {
	return map[string]any{
		"message_id": id,
		"from":       map[string]any{"id": 1, "is_bot": true, "first_name": "cita"},
		"chat":       privateChat(chat),
		"date":       1764511200,
		"text":       text,
	}
}

// markup decodes a reply_markup parameter into inline buttons or a reply
// keyboard.
func markup(s string) (inline, reply [][]Button) {
	if s == "" {
		return nil, nil
	}
	var m struct {
		Inline [][]Button `json:"inline_keyboard"`
		Reply  [][]Button `json:"keyboard"`
	}
	if json.Unmarshal([]byte(s), &m) != nil {
		return nil, nil
	}
	if len(m.Inline) == 0 {
		m.Inline = nil
	}
	return m.Inline, m.Reply
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
