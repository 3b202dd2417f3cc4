package telegram

import (
	"context"
	"errors"
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
