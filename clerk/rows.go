package clerk

import (
	"html/template"
	"strconv"
	"strings"
)

// rowsHTML is the day list's table rows, written out here rather than by
// a {{range}} in day.html: html/template evaluates every action of every
// row by reflection and escapes it in its context, about 50 µs a row, so
// a day of 2,000 appointments took ~200 ms to show against a 2 ms read of
// the same records. The markup is the template's, byte for byte
// (TestRowsHTMLMatchesTemplate), and every value goes through escape, the
// escaping html/template applies in these contexts (element text and
// quoted attribute values).
func rowsHTML(officeID, date string, d *dayData) template.HTML {
	var b strings.Builder
	hidden := `<input type="hidden" name="office" value="` + escape(officeID) +
		`"><input type="hidden" name="date" value="` + escape(date) + `">`
	var reasons strings.Builder
	for _, r := range d.Reasons {
		reasons.WriteString(`<option value="` + escape(r.Key) + `">` + escape(r.Label) + `</option>`)
	}
	b.Grow(len(d.Rows) * 900)
	nowLine := "\n  <tr class=\"now-line\" id=\"now-line\"><td colspan=\"7\">Now, " + escape(d.Now) + "</td></tr>"
	for i := range d.Rows {
		r := &d.Rows[i]
		if r.NowBefore {
			b.WriteString(nowLine)
		}
		code, status := escape(r.Code), escape(r.Status)
		due, dueTag := "", ""
		if r.Due {
			due, dueTag = " due", " <strong class=\"tag\">due now</strong>"
		}
		b.WriteString("\n  <tr id=\"appt-" + code + "\" class=\"st-" + status + due + "\">\n    <td>" + escape(r.Time) + dueTag +
			"</td><td class=\"code\">" + code + "</td><td>" + escape(r.Lang) + "</td><td class=\"status\">" + status +
			"</td><td class=\"people\">" + escape(r.People) + "</td><td class=\"queue\">" + escape(r.Queue) + "</td>\n    <td class=\"row-actions\">\n      ")
		codeInput := `<input type="hidden" name="code" value="` + code + `">`
		if d.IsToday && r.Booked {
			// A party is checked in once, with how many came (all, unless
			// the clerk lowers it).
			came := ""
			if r.Party > 1 {
				n := strconv.Itoa(r.Party)
				came = "<label class=\"visually-hidden\" for=\"came-" + code + "\">People who came, of " + n + "</label>" +
					"<input id=\"came-" + code + "\" name=\"came\" type=\"number\" min=\"1\" max=\"" + n + "\" value=\"" + n + "\" class=\"came\">"
			}
			b.WriteString("\n      <form method=\"post\" action=\"/clerk/checkin\">" + hidden + codeInput + came +
				"<button type=\"submit\" class=\"checkin\">Check in</button></form>\n      ")
		}
		b.WriteString("\n      ")
		if r.CanNoShow {
			b.WriteString("\n      <form method=\"post\" action=\"/clerk/noshow\">" + hidden + codeInput +
				"<button type=\"submit\" class=\"noshow\">No-show</button></form>\n      ")
		}
		b.WriteString("\n      ")
		if r.CanUndo {
			what := "no-show"
			if r.CheckedIn {
				what = "check-in"
			}
			b.WriteString("\n      <form method=\"post\" action=\"/clerk/undo\">" + hidden + codeInput +
				"<button type=\"submit\" class=\"undo\">Undo " + what + "</button></form>\n      ")
		}
		b.WriteString("\n      ")
		if r.Booked {
			b.WriteString("\n      <form method=\"post\" action=\"/clerk/cancel\" class=\"cancel\">" + hidden + codeInput +
				"\n        <label class=\"visually-hidden\" for=\"reason-" + code + "\">Reason to cancel " + code +
				"</label>\n        <select id=\"reason-" + code + "\" name=\"reason\" required><option value=\"\">Cancel: reason…</option>" +
				reasons.String() + "</select>\n        <button type=\"submit\" class=\"cancel\">Cancel</button></form>\n      ")
		}
		b.WriteString("\n    </td>\n  </tr>\n  ")
	}
	if d.NowAtEnd {
		b.WriteString(nowLine)
	}
	return template.HTML(b.String())
}

// escaper is html/template's escaping of text and quoted attribute values.
var escaper = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")

func escape(s string) string {
	if !strings.ContainsAny(s, "\x00\"&'+<>") {
		return s
	}
	return escaper.Replace(s)
}
