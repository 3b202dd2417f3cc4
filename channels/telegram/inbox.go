package telegram

import (
	"context"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// delivery is an update taken for handling, with its dedupe digest.
type delivery struct {
	update tgbotapi.Update
	digest [32]byte
}

// inbox hands each chat's updates to a goroutine of the chat's own, one at
// a time in arrival order. A new resident waits for their identity
// (Identifier.Admit) there: not in the poll loop, not in a webhook request,
// and not in front of anyone else's messages. It also counts the Run calls
// polling, so that Stop can wait for them.
type inbox struct {
	// handle handles one update; false means it could not be finished
	// because the channel is shutting down.
	handle func(delivery) bool

	mu      sync.Mutex
	chats   map[int64][]delivery
	queued  int  // updates taken and not yet handled
	polling int  // Run calls in progress
	closed  bool // Stop has begun: nothing more is taken
	ended   bool // Stop gave up waiting: what is left is dropped
	dropped int
	changed *sync.Cond
}

func newInbox(handle func(delivery) bool) *inbox {
	in := &inbox{handle: handle, chats: map[int64][]delivery{}}
	in.changed = sync.NewCond(&in.mu)
	return in
}

// add queues d for chat; false if the inbox is closed.
func (in *inbox) add(chat int64, d delivery) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return false
	}
	in.queued++
	in.chats[chat] = append(in.chats[chat], d)
	if len(in.chats[chat]) == 1 {
		go in.drain(chat)
	}
	return true
}

// drain handles chat's updates until its queue is empty.
func (in *inbox) drain(chat int64) {
	for {
		in.mu.Lock()
		d, ended := in.chats[chat][0], in.ended
		in.mu.Unlock()

		// An update dropped here is not forgotten by Deliveries:
		// Telegram has it confirmed (a webhook's 200, a later poll's
		// offset) and never delivers it again. It is counted.
		finished := !ended && in.handle(d)

		in.mu.Lock()
		in.queued--
		if !finished {
			in.dropped++
		}
		in.changed.Broadcast()
		rest := in.chats[chat][1:]
		if len(rest) == 0 {
			delete(in.chats, chat)
			in.mu.Unlock()
			return
		}
		in.chats[chat] = rest
		in.mu.Unlock()
	}
}

// backlog reports the updates waiting over all chats and for chat.
func (in *inbox) backlog(chat int64) (all, one int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.queued, len(in.chats[chat])
}

// pending reports how many updates are taken and not yet handled.
func (in *inbox) pending() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.queued
}

// startPolling counts a Run call; false once the inbox is closed.
func (in *inbox) startPolling() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return false
	}
	in.polling++
	return true
}

func (in *inbox) stopPolling() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.polling--
	in.changed.Broadcast()
}

// close stops taking updates.
func (in *inbox) close() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.closed = true
}

// wait waits until every update taken is handled and polling has ended, or
// ctx is done.
func (in *inbox) wait(ctx context.Context) {
	wake := context.AfterFunc(ctx, func() {
		in.mu.Lock()
		in.changed.Broadcast()
		in.mu.Unlock()
	})
	defer wake()
	in.mu.Lock()
	defer in.mu.Unlock()
	for (in.queued > 0 || in.polling > 0) && ctx.Err() == nil {
		in.changed.Wait()
	}
}

// end drops what is still queued (the update being handled ends as soon
// as it sees the channel's context cancelled) and returns how many
// updates were taken and never handled. It waits at most limit for the
// chat goroutines to notice.
func (in *inbox) end(limit time.Duration) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.ended = true
	late := false
	bound := time.AfterFunc(limit, func() {
		in.mu.Lock()
		late = true
		in.changed.Broadcast()
		in.mu.Unlock()
	})
	defer bound.Stop()
	for in.queued > 0 && !late {
		in.changed.Wait()
	}
	return in.dropped + in.queued
}
