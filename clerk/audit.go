package clerk

import (
	"net/http"
	"time"
)

// auditPageSize is how many entries, newest first, the audit page shows.
const auditPageSize = 500

type auditEntry struct {
	Time, Clerk, Action, Code string
}

func (s *server) auditPage(w http.ResponseWriter, r *http.Request, p *principal) {
	var entries []auditEntry
	err := s.Audit.EachAudit(func(at time.Time, clerk, action, code string) bool {
		entries = append(entries, auditEntry{at.In(s.loc()).Format("2006-01-02 15:04:05"), clerk, action, code})
		return len(entries) < auditPageSize
	})
	if err != nil {
		s.internalError(w, r, "audit log", err)
		return
	}
	s.render(w, r, http.StatusOK, "audit", p, pageData{Title: "Audit log", Data: entries})
}
