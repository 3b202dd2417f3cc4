// Package local is the terminal channel: `bot chat` speaks to the engine
// through it, either in-process against the data dir or, while `bot serve`
// holds the data dir, over HTTP to a handler that answers only on loopback.
// It exists for operators and developers; residents use SMS or Telegram.
package local

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/cita-city/cita/channels/twilio"
	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/scheduling"
)

// Identifier turns an address into the resident's identities, newest key
// epoch first. identity.Hasher implements it.
type Identifier interface {
	Identities(address string, now time.Time) ([]scheduling.Identity, error)
}

// Normalizer turns a phone number in any spelling into E.164.
type Normalizer func(number, region string) (string, error)

// ErrNotPhone is returned by Say when --as is not a phone number.
var ErrNotPhone = errors.New("not a phone number")

// Resident speaks to the engine as one resident identified by a phone number.
type Resident struct {
	Engine    *conversations.Engine
	IDs       Identifier
	Normalize Normalizer
	Region    string
}

// Channels Say can render for: SMS shows choices as a numbered list,
// Telegram as buttons (here one "[ label ]" a line; typing the label or
// its number both work, as they do on Telegram). WhatsApp shows the
// numbered list too, in as many messages as Twilio sends it in (one
// unless it is over twilio.MaxLen characters), a blank line and "--"
// between them.
const (
	SMS      = "sms"
	Telegram = "telegram"
	WhatsApp = "whatsapp"
)

// ErrChannel is returned by Say for a channel it cannot render.
var ErrChannel = errors.New("unknown channel: want sms, whatsapp or telegram")

// Say hands one line from a resident to the engine and returns the reply
// rendered as channel shows it ("" means SMS).
func (r *Resident) Say(as, text, lang, channel string, now time.Time) (string, error) {
	if channel != "" && channel != SMS && channel != Telegram && channel != WhatsApp {
		return "", ErrChannel
	}
	addr, err := r.Normalize(as, r.Region)
	if err != nil {
		return "", ErrNotPhone
	}
	ids, err := r.IDs.Identities(addr, now)
	if err != nil {
		return "", fmt.Errorf("identify resident: %w", err)
	}
	reply := r.Engine.Handle(conversations.Inbound{
		Identity: ids[0],
		Aliases:  ids[1:],
		Text:     text,
		LangHint: lang,
		// One line at a time, each after its reply: "1" twice is meant.
		Sequential: true,
	}, now)
	switch channel {
	case Telegram:
		return buttons(reply), nil
	case WhatsApp:
		return strings.Join(twilio.Split(conversations.Render(reply)), "\n\n--\n"), nil
	}
	return conversations.Render(reply), nil
}

// buttons shows a reply the way Telegram lays it out: the text, then one
// button a line.
func buttons(r conversations.Reply) string {
	var b strings.Builder
	b.WriteString(r.Text)
	if len(r.Choices) > 0 {
		b.WriteString("\n")
	}
	for _, c := range r.Choices {
		b.WriteString("\n[ " + c.Label + " ]")
	}
	return b.String()
}

// Request is what `bot chat --server` posts to the handler.
type Request struct {
	As      string `json:"as"`
	Text    string `json:"text"`
	Lang    string `json:"lang,omitempty"`
	Channel string `json:"channel,omitempty"` // sms (default), whatsapp or telegram
}

// Response is the handler's answer.
type Response struct {
	Text  string `json:"text,omitempty"`
	Error string `json:"error,omitempty"`
}

// maxBody bounds a request: a line typed in a terminal.
const maxBody = 16 << 10

// Handler serves POST /local/chat. It answers only requests from a loopback
// address that did not pass through a proxy, and when token is not empty
// only those bearing it.
func Handler(r *Resident, token string, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !fromLoopback(req) {
			http.Error(w, "local channel answers on loopback only", http.StatusForbidden)
			return
		}
		if token != "" {
			got := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
			if subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				http.Error(w, "wrong or missing local token", http.StatusUnauthorized)
				return
			}
		}
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		var in Request
		body := http.MaxBytesReader(w, req.Body, maxBody)
		if err := json.NewDecoder(body).Decode(&in); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "want JSON {as, text, lang}", http.StatusBadRequest)
			return
		}
		text, err := r.Say(in.As, in.Text, in.Lang, in.Channel, now())
		w.Header().Set("Content-Type", "application/json")
		if errors.Is(err, ErrNotPhone) || errors.Is(err, ErrChannel) {
			w.WriteHeader(http.StatusBadRequest)
			msg := "--as is not a phone number"
			if errors.Is(err, ErrChannel) {
				msg = "--channel: " + err.Error()
			}
			_ = json.NewEncoder(w).Encode(Response{Error: msg})
			return
		}
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			_ = json.NewEncoder(w).Encode(Response{Error: "the server could not answer; see its log"})
			return
		}
		_ = json.NewEncoder(w).Encode(Response{Text: text})
	})
}

func fromLoopback(req *http.Request) bool {
	if req.Header.Get("X-Forwarded-For") != "" || req.Header.Get("Forwarded") != "" {
		return false
	}
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Client talks to a running server's local channel.
type Client struct {
	URL   string // server base URL, e.g. http://localhost:8080
	Token string
	HTTP  *http.Client
}

// Say posts one line and returns the reply rendered for channel.
func (c *Client) Say(as, text, lang, channel string) (string, error) {
	body, err := json.Marshal(Request{As: as, Text: text, Lang: lang, Channel: channel})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequest(http.MethodPost, strings.TrimRight(c.URL, "/")+"/local/chat", strings.NewReader(string(body)))
	if err != nil {
		return "", fmt.Errorf("local chat: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return "", fmt.Errorf("local chat: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("local chat: read reply: %w", err)
	}
	var out Response
	if err := json.Unmarshal(data, &out); err != nil {
		return "", fmt.Errorf("local chat: server said %s: %s", resp.Status, strings.TrimSpace(string(data)))
	}
	if out.Error != "" {
		return "", fmt.Errorf("local chat: %s", out.Error)
	}
	return out.Text, nil
}
