package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/cita-city/cita/channels/local"
	"github.com/cita-city/cita/identity"
)

func (m *Main) chat(ctx context.Context, args []string) error {
	var c Config
	fs := m.flagSet("chat", &c)
	as := fs.String("as", "+1 312 555 0100", "the resident's phone number, any spelling")
	lang := fs.String("lang", "", "the resident's language hint, e.g. es")
	server := fs.String("server", "", "talk to a running bot serve at this URL instead of opening the data dir")
	channel := fs.String("channel", local.SMS, "render replies as sms (numbered list), whatsapp (numbered list, split over 1,600 characters), telegram (buttons as text) or voice (what a caller hears; keys typed)")
	fs.StringVar(&c.LocalToken, "local-token", m.env("CITA_LOCAL_TOKEN", ""), "local channel token of the server (env CITA_LOCAL_TOKEN)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *channel == "voice" && *server == "" {
		return m.chatVoice(ctx, c, *as)
	}
	if *channel != local.SMS && *channel != local.Telegram && *channel != local.WhatsApp {
		return usageError("--channel %q: want sms, whatsapp, telegram or voice (voice without --server)", *channel)
	}

	var say func(text string) (string, error)
	if *server != "" {
		client := &local.Client{URL: *server, Token: c.LocalToken, HTTP: &http.Client{Timeout: 30 * time.Second}}
		say = func(text string) (string, error) { return client.Say(*as, text, *lang, *channel) }
	} else {
		a, err := m.open(c, m.logger())
		if err != nil {
			return err
		}
		defer a.Close()
		if _, err := identity.NormalizePhone(*as, a.program.Region); err != nil {
			// Never the number itself: stderr ends up in logs.
			return usageError("--as is not a phone number that can receive texts (%v); see \"Phone numbers\" in the README", err)
		}
		resident := &local.Resident{Engine: a.engine, IDs: a.hasher, Normalize: identity.NormalizePhone, Region: a.program.Region}
		say = func(text string) (string, error) { return resident.Say(*as, text, *lang, *channel, m.Now()) }
	}

	interactive := isTerminal(m.Stdin)
	if interactive {
		fmt.Fprintln(m.Stderr, "You are a resident texting the city. Type a message and press Enter (Ctrl-D to leave).")
	}
	lines := bufio.NewScanner(m.Stdin)
	lines.Buffer(make([]byte, 64<<10), 64<<10)
	for {
		if interactive {
			fmt.Fprint(m.Stdout, "> ")
		}
		if !lines.Scan() {
			break
		}
		text := lines.Text()
		if !interactive {
			fmt.Fprintf(m.Stdout, "> %s\n", text)
		}
		reply, err := say(text)
		if err != nil {
			return fail("%v", err)
		}
		fmt.Fprintf(m.Stdout, "%s\n\n", strings.TrimRight(reply, "\n"))
		if ctx.Err() != nil {
			return nil
		}
	}
	if err := lines.Err(); err != nil {
		return fail("read stdin: %v", err)
	}
	return nil
}

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
