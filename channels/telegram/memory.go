package telegram

import (
	"sync"
	"time"
)

// Telegram lets a bot delete messages in a private chat while they are under
// 48 hours old, and retries an unconfirmed update for about as long: past
// that, an id is useless and is forgotten.
const remember = 48 * time.Hour

// memory is everything the channel knows between updates. It lives only in
// this process and is swept as it ages (promise P4).
type memory struct {
	mu        sync.Mutex
	chats     map[int64]*chat
	lastSweep time.Time
}

// chat is what the channel remembers of one private chat.
type chat struct {
	seen time.Time
	lang string // language of the last reply; "" before the first
	// messages still deletable, both directions, oldest first.
	messages []sentMessage
	// keyboard is the message carrying the live inline keyboard, 0 if none.
	keyboard int
	// phone is the E.164 number the resident shared, their address from
	// then on; "" until they share it. Their hashes are not kept here: the
	// Identifier is asked at each message, so that a key rotation is seen
	// at once (issue 14). It lives as long as the chat's memory (48 idle
	// hours), not just a 30-minute session: a resident coming back the next
	// day must find the booking made under their number, not start again
	// under their Telegram id (docs/PRIVACY.md, "Memory").
	phone string
	// offered: the share-my-phone button was shown.
	offered bool
	// calendars maps the confirmation code of each calendar file sent to
	// this chat to its SEQUENCE, to withdraw it on a cancel (calendar.go).
	calendars map[string]int64
	// callbacks maps the short tokens standing in for Choice IDs too long
	// for callback data back to the IDs (keyboard.go).
	callbacks map[string]string
}

type sentMessage struct {
	id int
	at time.Time
}

func newMemory() *memory {
	return &memory{chats: map[int64]*chat{}}
}

// with runs fn on the chat's state, creating it if needed, under the lock.
func (m *memory) with(id int64, now time.Time, fn func(c *chat)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.chats[id]
	if !ok {
		c = &chat{}
		m.chats[id] = c
	}
	c.seen = now
	fn(c)
	if now.Sub(m.lastSweep) > time.Minute {
		m.sweepLocked(now)
	}
}

// note remembers a message of the chat, to delete it if asked.
func (m *memory) note(id int64, message int, now time.Time) {
	if message == 0 {
		return
	}
	m.with(id, now, func(c *chat) {
		c.messages = append(c.messages, sentMessage{message, now})
	})
}

// forget drops everything known about the chat and returns the ids of its
// messages that can still be deleted.
func (m *memory) forget(id int64, now time.Time) []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.chats[id]
	if !ok {
		return nil
	}
	var ids []int
	for _, s := range c.messages {
		if now.Sub(s.at) < remember {
			ids = append(ids, s.id)
		}
	}
	delete(m.chats, id)
	return ids
}

// Sweep drops messages older than 48 h and chats idle that long, and returns how many chats it dropped.
func (m *memory) sweep(now time.Time) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sweepLocked(now)
}

func (m *memory) sweepLocked(now time.Time) int {
	m.lastSweep = now
	dropped := 0
	for id, c := range m.chats {
		if now.Sub(c.seen) >= remember {
			delete(m.chats, id)
			dropped++
			continue
		}
		keep := c.messages[:0]
		for _, s := range c.messages {
			if now.Sub(s.at) < remember {
				keep = append(keep, s)
			}
		}
		c.messages = keep
	}
	return dropped
}
