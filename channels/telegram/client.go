package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// redacted stands in for the bot token wherever it would appear.
const redacted = "<token>"

// doer is what tgbotapi needs from an HTTP client.
type doer interface {
	Do(*http.Request) (*http.Response, error)
}

// scrubbingClient hands requests to the real client, bound to ctx, and
// removes the token from any error, since tgbotapi's request URLs carry it.
// Every call but getUpdates (a long poll, bounded by the HTTP client) must
// be answered within timeout, when set: tgbotapi calls take no context.
type scrubbingClient struct {
	ctx     context.Context
	next    doer
	token   string
	timeout time.Duration
}

func (c *scrubbingClient) Do(req *http.Request) (*http.Response, error) {
	ctx := c.ctx
	if ctx == nil {
		ctx = req.Context()
	}
	cancel := context.CancelFunc(func() {})
	if c.timeout > 0 && !strings.HasSuffix(req.URL.Path, "/getUpdates") {
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
	}
	resp, err := c.next.Do(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, scrub(err, c.token)
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose releases a call's timeout once its answer has been read.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// scrubbedError is an error whose text has had the token removed. It
// unwraps to the cause below the URL (a net or context error, which never
// holds the URL), so errors.Is(err, context.Canceled) keeps working.
type scrubbedError struct {
	msg   string
	cause error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.cause }

// scrub returns err with every occurrence of token replaced.
func scrub(err error, token string) error {
	if err == nil {
		return nil
	}
	var cause error
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err
	}
	msg := err.Error()
	if token != "" {
		msg = strings.ReplaceAll(msg, token, redacted)
		msg = strings.ReplaceAll(msg, url.PathEscape(token), redacted)
	}
	return &scrubbedError{msg: msg, cause: cause}
}

// quietLogger swallows tgbotapi's package log: it prints raw errors (with
// the token) and, in debug mode, message contents.
type quietLogger struct{}

func (quietLogger) Println(...any)        {}
func (quietLogger) Printf(string, ...any) {}

var silenceLibrary sync.Once

func silence() {
	silenceLibrary.Do(func() { _ = tgbotapi.SetLogger(quietLogger{}) })
}

// statusClient records the HTTP status of the one answer it fetches:
// tgbotapi reads only the body, and a sendDocument refused with a bare 500
// (no error_code) looks to it like any other failure.
type statusClient struct {
	next   doer
	status int
}

func (s *statusClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := s.next.Do(req)
	if err == nil {
		s.status = resp.StatusCode
	}
	return resp, err
}

// callError is a failed Bot API call as the rest of the program sees it.
// Its text holds the method, the HTTP status, the Bot API's error_code and
// the outcome, and nothing else: Telegram's description and the HTTP
// client's error text can echo chat ids and phone numbers, so they never
// reach a log or an error message (docs/PRIVACY.md). Unwrap still reaches
// the cause, for errors.Is and errors.As.
type callError struct {
	method string
	status int // HTTP status of the answer; 0 when none came
	err    error
}

func (e *callError) Error() string {
	return fmt.Sprintf("telegram: %s failed: HTTP status %d, error_code %d, outcome %s", e.method, e.status, errorCode(e), outcome(e))
}

func (e *callError) Unwrap() error { return e.err }

// call makes one request with bot (through do) and returns its error as a
// *callError carrying the answer's HTTP status.
func call(bot *tgbotapi.BotAPI, method string, do func(*tgbotapi.BotAPI) (*tgbotapi.APIResponse, error)) (*tgbotapi.APIResponse, error) {
	b := *bot
	sc := &statusClient{next: bot.Client}
	b.Client = sc
	resp, err := do(&b)
	if err != nil {
		return resp, &callError{method: method, status: sc.status, err: err}
	}
	return resp, nil
}

// caller is the outbox's requester: bot's calls, with errors as *callError.
type caller struct{ bot *tgbotapi.BotAPI }

func (c caller) Request(ch tgbotapi.Chattable) (*tgbotapi.APIResponse, error) {
	return call(c.bot, method(ch), func(b *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) { return b.Request(ch) })
}

// httpStatus is the HTTP status of a failed call's answer, 0 if unknown.
func httpStatus(err error) int {
	var ce *callError
	if errors.As(err, &ce) {
		return ce.status
	}
	return 0
}

// errorCode is the Bot API's error_code in a failed call's answer, 0 if
// none.
func errorCode(err error) int {
	if apiErr := asAPIError(err); apiErr != nil {
		return apiErr.Code
	}
	return 0
}
