package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"golang.org/x/time/rate"
)

// Telegram's limits are about 30 messages a second overall and one a second
// per chat; these stay below them.
const (
	// DefaultRate is the outbound messages per second over all chats.
	DefaultRate rate.Limit = 25
	// DefaultChatGap is the least time between two messages to one chat.
	DefaultChatGap = 1100 * time.Millisecond
)

// transientRetries bounds retries of network and server errors; a 429 is
// retried for as long as it takes.
const transientRetries = 4

// DefaultBackoff is the wait before the first retry of a call that failed
// with a server or network error; it doubles with each retry.
const DefaultBackoff = time.Second

// Outcomes of one attempt at a Bot API call, as Config.OnAttempt gets them:
// a fixed set, safe as metric labels (P3).
const (
	OutcomeOK          = "ok"
	OutcomeRateLimited = "429"
	OutcomeServerError = "5xx"
	OutcomeTimeout     = "timeout"
	OutcomeRefused     = "4xx" // the request itself is wrong: not retried
	OutcomeError       = "error"
)

// job is one Bot API call for a chat.
type job struct {
	chat int64
	// message: the call posts or edits a message, so it counts against the
	// chat's one-a-second limit. Deletes and callback answers do not.
	message bool
	call    tgbotapi.Chattable
	// sent, if set, receives the message the call produced.
	sent func(tgbotapi.Message)
}

// requester is the part of tgbotapi.BotAPI the outbox uses.
type requester interface {
	Request(tgbotapi.Chattable) (*tgbotapi.APIResponse, error)
}

// outbox sends jobs in order per chat, paced overall and per chat. Each
// chat with work has one goroutine draining its queue; it exits when the
// queue is empty.
type outbox struct {
	bot     requester
	overall *rate.Limiter
	gap     time.Duration
	report  func(method string, attempts int, err error) // a job given up
	retried func()                                       // a 429 was waited out
	// attempt is told of every attempt: its outcome and whether the call
	// will be tried again.
	attempt func(outcome string, retry bool)
	backoff time.Duration // before the first transient retry, doubling

	ctx    context.Context // cancelled when the outbox gives up on shutdown
	cancel context.CancelFunc

	mu     sync.Mutex
	chats  map[int64]*chatQueue
	idle   *sync.Cond // signalled when a chat queue drains
	active int
	queued int // jobs queued or running, over all chats
}

type chatQueue struct {
	jobs []job
	pace *rate.Limiter
}

// newOutbox returns an outbox that stops for good when cancel is called;
// ctx is the one cancel cancels.
func newOutbox(ctx context.Context, cancel context.CancelFunc, bot requester, perSecond rate.Limit, gap time.Duration) *outbox {
	o := &outbox{
		bot:     bot,
		overall: rate.NewLimiter(perSecond, 1),
		gap:     gap,
		report:  func(string, int, error) {},
		retried: func() {},
		attempt: func(string, bool) {},
		backoff: DefaultBackoff,
		ctx:     ctx,
		cancel:  cancel,
		chats:   map[int64]*chatQueue{},
	}
	o.idle = sync.NewCond(&o.mu)
	return o
}

// send queues jobs for their chats; they run in the order given per chat.
func (o *outbox) send(jobs ...job) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, j := range jobs {
		q, ok := o.chats[j.chat]
		if !ok {
			q = &chatQueue{pace: rate.NewLimiter(rate.Every(o.gap), 1)}
			o.chats[j.chat] = q
		}
		q.jobs = append(q.jobs, j)
		o.queued++
		if len(q.jobs) == 1 {
			o.active++
			go o.drain(j.chat, q)
		}
	}
}

// drain runs a chat's jobs until its queue is empty.
func (o *outbox) drain(chat int64, q *chatQueue) {
	for {
		o.mu.Lock()
		j := q.jobs[0]
		o.mu.Unlock()

		o.run(q, j)

		o.mu.Lock()
		q.jobs = q.jobs[1:]
		o.queued--
		if len(q.jobs) == 0 {
			// The pace limiter goes with the queue: a new queue starts
			// with a full token, which is right once the gap has passed.
			// Keep the queue while the gap has not, so a burst of replies
			// to one chat stays paced.
			if q.pace.Tokens() >= 1 {
				delete(o.chats, chat)
			} else {
				go o.forget(chat, q)
			}
			o.active--
			o.idle.Broadcast()
			o.mu.Unlock()
			return
		}
		o.mu.Unlock()
	}
}

// forget drops an idle chat queue once its gap has passed. A queue that got
// work meanwhile is left to the goroutine draining it, which calls forget
// again when done.
func (o *outbox) forget(chat int64, q *chatQueue) {
	for {
		if !sleep(o.ctx, o.gap) {
			return
		}
		o.mu.Lock()
		if o.chats[chat] != q || len(q.jobs) > 0 {
			o.mu.Unlock()
			return
		}
		if q.pace.Tokens() >= 1 {
			delete(o.chats, chat)
			o.mu.Unlock()
			return
		}
		o.mu.Unlock()
	}
}

// run performs one job, waiting out 429s (for as long as retry_after
// says, as often as it takes) and retrying server and network errors with
// exponential backoff, transientRetries times.
//
// A call that timed out, or lost its connection, may have taken effect at
// Telegram all the same, and the Bot API has no idempotency key. Edits,
// deletes and callback answers are safe to repeat (a repeated edit or
// delete that Telegram refuses as "not modified" or "not found" counts as
// done). A send is repeated too: the resident may then see a reply twice,
// which is better than never seeing a confirmation, and a reply can
// always be sent again while a lost one cannot be noticed by anyone. Only
// the second copy's id is remembered for "delete my data".
func (o *outbox) run(q *chatQueue, j job) {
	transient, attempts := 0, 0
	uncertain := false // an earlier attempt may have taken effect
	backoff := o.backoff
	for {
		if j.message {
			if err := q.pace.Wait(o.ctx); err != nil {
				o.report(method(j.call), attempts, err)
				return
			}
		}
		if err := o.overall.Wait(o.ctx); err != nil {
			o.report(method(j.call), attempts, err)
			return
		}
		attempts++
		resp, err := o.bot.Request(j.call)
		if err == nil || (uncertain && done(err)) {
			o.attempt(OutcomeOK, false)
			if err == nil && j.sent != nil && resp != nil {
				var m tgbotapi.Message
				if json.Unmarshal(resp.Result, &m) == nil {
					j.sent(m)
				}
			}
			return
		}
		out := outcome(err)
		var wait time.Duration
		switch apiErr := asAPIError(err); {
		case out == OutcomeRateLimited:
			wait = time.Duration(max(apiErr.RetryAfter, 1)) * time.Second
			o.retried()
		case out == OutcomeRefused:
			o.attempt(out, false)
			o.report(method(j.call), attempts, err) // the request itself is wrong: retrying cannot help
			return
		default:
			transient++
			if transient > transientRetries {
				o.attempt(out, false)
				o.report(method(j.call), attempts, err)
				return
			}
			wait = backoff
			backoff *= 2
			uncertain = uncertain || out == OutcomeTimeout || out == OutcomeError
		}
		o.attempt(out, true)
		if !sleep(o.ctx, wait) {
			o.report(method(j.call), attempts, o.ctx.Err())
			return
		}
	}
}

// outcome classifies a failed call's error.
func outcome(err error) string {
	apiErr := asAPIError(err)
	var ne net.Error
	switch {
	case err == nil:
		return OutcomeOK
	case apiErr != nil && (apiErr.Code == http.StatusTooManyRequests || apiErr.RetryAfter > 0):
		return OutcomeRateLimited
	case apiErr != nil && apiErr.Code >= 500:
		return OutcomeServerError
	case apiErr != nil && apiErr.Code != 0:
		return OutcomeRefused
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return OutcomeTimeout
	}
	return OutcomeError
}

// done reports whether err, answering a repeat of a call that may already
// have taken effect, says that it did.
func done(err error) bool {
	apiErr := asAPIError(err)
	if apiErr == nil || apiErr.Code != http.StatusBadRequest {
		return false
	}
	m := strings.ToLower(apiErr.Message)
	return strings.Contains(m, "message is not modified") || strings.Contains(m, "message to delete not found")
}

// sendFailed logs a call the sender gave up on, so that nothing is dropped
// silently: the method, the outcome and status, and the attempts; never the
// chat, the text or the error's text.
func (c *Channel) sendFailed(method string, attempts int, err error) {
	code := 0
	if apiErr := asAPIError(err); apiErr != nil {
		code = apiErr.Code
	}
	out := outcome(err)
	if errors.Is(err, context.Canceled) {
		out = "shutdown"
	}
	c.log.Error("telegram: call given up", "method", method, "outcome", out, "code", code, "attempts", attempts)
}

// asAPIError returns the Bot API's error answer in err, if it is one.
func asAPIError(err error) *tgbotapi.Error {
	var e *tgbotapi.Error
	if errors.As(err, &e) {
		return e
	}
	var v tgbotapi.Error
	if errors.As(err, &v) {
		return &v
	}
	return nil
}

// close waits until every queue has drained or ctx is done; then it cancels
// what is left (in-flight requests included), which is reported as given up,
// and waits for the chat goroutines to end.
func (o *outbox) close(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		o.cancel()
		o.mu.Lock()
		o.idle.Broadcast()
		o.mu.Unlock()
	})
	defer stop()
	o.mu.Lock()
	for o.active > 0 {
		o.idle.Wait()
	}
	o.mu.Unlock()
	o.cancel()
	return ctx.Err()
}

// pending reports how many jobs are queued or running.
func (o *outbox) pending() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.queued
}

// backlog reports the jobs queued or running over all chats and for chat.
func (o *outbox) backlog(chat int64) (all, one int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if q, ok := o.chats[chat]; ok {
		one = len(q.jobs)
	}
	return o.queued, one
}

// sleep waits d or until ctx is done; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// method names a call for logs: the Bot API method, never its parameters.
func method(c tgbotapi.Chattable) string {
	switch c.(type) {
	case tgbotapi.MessageConfig:
		return "sendMessage"
	case tgbotapi.DocumentConfig:
		return "sendDocument"
	case tgbotapi.EditMessageTextConfig:
		return "editMessageText"
	case tgbotapi.EditMessageReplyMarkupConfig:
		return "editMessageReplyMarkup"
	case tgbotapi.DeleteMessageConfig:
		return "deleteMessage"
	case tgbotapi.CallbackConfig:
		return "answerCallbackQuery"
	default:
		return "other"
	}
}
