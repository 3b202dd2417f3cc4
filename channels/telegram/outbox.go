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

// holdLimit bounds how long one call may hold its chat's queue. A call
// that fails with a server or network error is retried off the queue
// (parked, then queued again behind what came meanwhile), and one that has
// not been answered by then is finished off the queue, so that a failing
// calendar file never delays the chat's next reply by more than about
// this (issue 12). A 429 is waited out in place: it is Telegram's pacing,
// and the next reply would get one too.
const holdLimit = 1500 * time.Millisecond

// job is one Bot API call for a chat.
type job struct {
	chat int64
	// message: the call posts or edits a message, so it counts against the
	// chat's one-a-second limit. Deletes and callback answers do not.
	message bool
	call    tgbotapi.Chattable
	// sent, if set, receives the message the call produced.
	sent func(tgbotapi.Message)

	// Retry state, carried by the job when it is parked.
	attempts  int
	transient int           // server and network errors so far
	backoff   time.Duration // before the next transient retry; 0: not yet set
	uncertain bool          // an earlier attempt may have taken effect
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

	mu        sync.Mutex
	chats     map[int64]*chatQueue
	parked    map[*job]*time.Timer // jobs waiting to be retried
	settled   *sync.Cond           // signalled when a job is done or abandoned
	queued    int                  // jobs not done: queued, running, parked or finishing off the queue
	abandoned int                  // jobs dropped at shutdown
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
		parked:  map[*job]*time.Timer{},
	}
	o.settled = sync.NewCond(&o.mu)
	return o
}

// send queues jobs for their chats; they run in the order given per chat.
func (o *outbox) send(jobs ...job) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, j := range jobs {
		if o.ctx.Err() != nil {
			o.abandoned++
			continue
		}
		o.queued++
		o.enqueueLocked(j)
	}
}

// enqueueLocked puts j at the back of its chat's queue, starting the
// chat's goroutine if the queue was empty; o.mu is held.
func (o *outbox) enqueueLocked(j job) {
	q, ok := o.chats[j.chat]
	if !ok {
		q = &chatQueue{pace: rate.NewLimiter(rate.Every(o.gap), 1)}
		o.chats[j.chat] = q
	}
	q.jobs = append(q.jobs, j)
	if len(q.jobs) == 1 {
		go o.drain(j.chat, q)
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

// result is the answer to one attempt.
type result struct {
	resp *tgbotapi.APIResponse
	err  error
}

// run attempts j at the head of its chat's queue until it is settled:
// done, given up, parked for a later retry, or handed to a goroutine of its
// own when its answer is slow (see holdLimit). 429s are waited out here,
// for as long as retry_after says, as often as it takes.
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
	for {
		if j.message {
			if err := q.pace.Wait(o.ctx); err != nil {
				o.abandon()
				return
			}
		}
		if err := o.overall.Wait(o.ctx); err != nil {
			o.abandon()
			return
		}
		j.attempts++
		answer := make(chan result, 1)
		go func(call tgbotapi.Chattable) {
			resp, err := o.bot.Request(call)
			answer <- result{resp, err}
		}(j.call)
		hold := time.NewTimer(holdLimit)
		var r result
		select {
		case r = <-answer:
			hold.Stop()
		case <-hold.C:
			go func(j job) {
				if wait, again := o.settle(&j, <-answer); again {
					o.park(j, wait)
				}
			}(j)
			return
		}
		wait, again := o.settle(&j, r)
		if !again {
			return
		}
		if !sleep(o.ctx, wait) {
			o.abandon()
			return
		}
	}
}

// settle deals with the answer to an attempt at j: done, given up, or
// parked for a transient retry. again with wait means a 429: try again
// after wait.
func (o *outbox) settle(j *job, r result) (wait time.Duration, again bool) {
	err := r.err
	if err == nil || (j.uncertain && done(err)) {
		o.attempt(OutcomeOK, false)
		if err == nil && j.sent != nil && r.resp != nil {
			var m tgbotapi.Message
			if json.Unmarshal(r.resp.Result, &m) == nil {
				j.sent(m)
			}
		}
		o.finish()
		return 0, false
	}
	if o.ctx.Err() != nil {
		o.abandon() // shut down: counted, not logged one by one
		return 0, false
	}
	out := outcome(err)
	switch {
	case out == OutcomeRateLimited:
		o.retried()
		o.attempt(out, true)
		return time.Duration(max(asAPIError(err).retryAfter(), 1)) * time.Second, true
	case out == OutcomeRefused:
		o.attempt(out, false)
		o.report(method(j.call), j.attempts, err) // the request itself is wrong: retrying cannot help
		o.finish()
		return 0, false
	}
	j.transient++
	if j.transient > transientRetries {
		o.attempt(out, false)
		o.report(method(j.call), j.attempts, err)
		o.finish()
		return 0, false
	}
	if j.backoff == 0 {
		j.backoff = o.backoff
	}
	wait = j.backoff
	j.backoff *= 2
	j.uncertain = j.uncertain || out == OutcomeTimeout || out == OutcomeError
	o.attempt(out, true)
	o.park(*j, wait)
	return 0, false
}

// park queues j again, at the back of its chat's queue, after wait.
func (o *outbox) park(j job, wait time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ctx.Err() != nil {
		o.abandonLocked()
		return
	}
	key := &j
	o.parked[key] = time.AfterFunc(wait, func() {
		o.mu.Lock()
		defer o.mu.Unlock()
		if _, ok := o.parked[key]; !ok {
			return // taken by stop
		}
		delete(o.parked, key)
		if o.ctx.Err() != nil {
			o.abandonLocked()
			return
		}
		o.enqueueLocked(*key)
	})
}

// finish marks a job done (or given up and reported).
func (o *outbox) finish() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.queued--
	o.settled.Broadcast()
}

// abandon marks a job dropped at shutdown.
func (o *outbox) abandon() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.abandonLocked()
}

func (o *outbox) abandonLocked() {
	o.queued--
	o.abandoned++
	o.settled.Broadcast()
}

// outcome classifies a failed call's error by the Bot API's error_code
// or, when the answer has none (tgbotapi drops it on uploads; a proxy
// sends none), by the HTTP status.
func outcome(err error) string {
	if err == nil {
		return OutcomeOK
	}
	code := errorCode(err)
	if code == 0 {
		code = httpStatus(err)
	}
	var ne net.Error
	switch {
	case code == http.StatusTooManyRequests || asAPIError(err).retryAfter() > 0:
		return OutcomeRateLimited
	case code >= 500:
		return OutcomeServerError
	case code >= 400:
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
	code := errorCode(err)
	if code == 0 {
		code = httpStatus(err)
	}
	if apiErr == nil || code != http.StatusBadRequest {
		return false
	}
	m := strings.ToLower(apiErr.Message)
	return strings.Contains(m, "message is not modified") || strings.Contains(m, "message to delete not found")
}

// sendFailed logs a call the sender gave up on, so that nothing is dropped
// silently: the method, the outcome, the HTTP status and error_code, and
// the attempts; never the chat, the text, or the error's text.
func (c *Channel) sendFailed(method string, attempts int, err error) {
	c.log.Error("telegram: call given up", "method", method, "outcome", outcome(err), "status", httpStatus(err), "code", errorCode(err), "attempts", attempts)
}

// apiError is the Bot API's error answer.
type apiError tgbotapi.Error

// asAPIError returns the Bot API's error answer in err, if it is one.
func asAPIError(err error) *apiError {
	var e *tgbotapi.Error
	if errors.As(err, &e) {
		return (*apiError)(e)
	}
	var v tgbotapi.Error
	if errors.As(err, &v) {
		return (*apiError)(&v)
	}
	return nil
}

// retryAfter is the answer's retry_after in seconds; 0 for nil.
func (e *apiError) retryAfter() int {
	if e == nil {
		return 0
	}
	return e.RetryAfter
}

// stop waits until every job is done or ctx is done; then it cancels what
// is left (in-flight requests included) and returns how many jobs were
// dropped. It returns within settleLimit of ctx, whatever the Bot API
// does: cancelled requests end at once.
func (o *outbox) stop(ctx context.Context) (left int) {
	wake := context.AfterFunc(ctx, func() {
		o.mu.Lock()
		o.settled.Broadcast()
		o.mu.Unlock()
	})
	defer wake()
	o.mu.Lock()
	for o.queued > 0 && ctx.Err() == nil {
		o.settled.Wait()
	}
	o.mu.Unlock()
	o.cancel()

	o.mu.Lock()
	defer o.mu.Unlock()
	for key, t := range o.parked {
		if t.Stop() {
			delete(o.parked, key)
			o.abandonLocked()
		}
	}
	late := false
	bound := time.AfterFunc(settleLimit, func() {
		o.mu.Lock()
		late = true
		o.settled.Broadcast()
		o.mu.Unlock()
	})
	defer bound.Stop()
	for o.queued > 0 && !late {
		o.settled.Wait()
	}
	return o.abandoned + o.queued
}

// pending reports how many jobs are not done.
func (o *outbox) pending() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.queued
}

// backlog reports the jobs not done over all chats, and those queued for
// chat.
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
	case tgbotapi.UpdateConfig:
		return "getUpdates"
	default:
		return "other"
	}
}
