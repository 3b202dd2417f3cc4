package voice

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"
)

// CallLog is Twilio's record of this account's calls (who called, when,
// for how long: see docs/PRIVACY.md), as the redact job needs it.
type CallLog interface {
	// Ended returns the SIDs of the calls that ended before t.
	Ended(before time.Time) ([]string, error)
	// Delete deletes a call's record; one already gone counts as deleted.
	Delete(sid string) error
}

// ended are the statuses of a call that is over: only those can be
// deleted.
var ended = map[string]bool{"completed": true, "busy": true, "failed": true, "no-answer": true, "canceled": true}

// Redact deletes, at Twilio, the records of the calls that ended more
// than olderThan before now (P5); a call still going is left for a later
// run. It returns how many it deleted; an error says how many failed and
// an HTTP status, never which call.
func Redact(calls CallLog, now time.Time, olderThan time.Duration, log *slog.Logger) (int, error) {
	if olderThan < 0 {
		return 0, fmt.Errorf("voice redact: negative delay %v", olderThan)
	}
	sids, err := calls.Ended(now.Add(-olderThan))
	if err != nil {
		return 0, fmt.Errorf("voice redact: list calls: status %d", status(err))
	}
	deleted, failed := 0, 0
	var first error
	for _, sid := range sids {
		if err := calls.Delete(sid); err != nil {
			failed++
			if first == nil {
				first = fmt.Errorf("status %d", status(err))
			}
			continue
		}
		deleted++
	}
	log.Info("voice: redact", "deleted", deleted, "failed", failed)
	if failed > 0 {
		return deleted, errors.Join(fmt.Errorf("voice redact: %d of %d call records not deleted", failed, len(sids)), first)
	}
	return deleted, nil
}

// TwilioCalls is the CallLog of a real Twilio account, through twilio-go.
type TwilioCalls struct {
	api *api.ApiService
}

var _ CallLog = (*TwilioCalls)(nil)

// NewTwilioCalls returns the CallLog of account sid with auth token; hc
// carries the timeout (twilio-go calls take no context) and, in tests, a
// transport to a fake.
func NewTwilioCalls(sid, token string, hc *http.Client) *TwilioCalls {
	c := &client.Client{Credentials: client.NewCredentials(sid, token), HTTPClient: hc}
	c.SetAccountSid(sid)
	return &TwilioCalls{api: api.NewApiServiceWithClient(c)}
}

// Ended implements CallLog. Twilio filters calls by end date only (not
// time), so the list is every call the account still holds, and the time
// is compared here: after a run or two that list is a few minutes' calls.
func (t *TwilioCalls) Ended(before time.Time) ([]string, error) {
	calls, err := t.api.ListCall(&api.ListCallParams{})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range calls {
		if c.Sid == nil || c.Status == nil || !ended[*c.Status] || c.EndTime == nil {
			continue
		}
		end, err := time.Parse(time.RFC1123Z, *c.EndTime)
		if err != nil || !end.Before(before) {
			continue
		}
		out = append(out, *c.Sid)
	}
	return out, nil
}

// Delete implements CallLog.
func (t *TwilioCalls) Delete(sid string) error {
	if err := t.api.DeleteCall(sid, nil); err != nil && status(err) != http.StatusNotFound {
		return err
	}
	return nil
}

// status is the HTTP status of a Twilio error, 0 if it has none.
func status(err error) int {
	var te *client.TwilioRestError
	if errors.As(err, &te) {
		return te.Status
	}
	return 0
}
