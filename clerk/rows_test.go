package clerk

import (
	"html/template"
	"strings"
	"testing"
)

// oldRows is the {{range}} day.html had before rowsHTML replaced it, kept
// in step with rowsHTML since (the queue column, the due tag, the line for
// the current time).
const oldRows = `{{$o := .Office}}{{$date := .Date}}{{with .Data}}<tbody>
  {{range .Rows}}{{if .NowBefore}}
  <tr class="now-line" id="now-line"><td colspan="7">Now, {{$.Data.Now}}</td></tr>{{end}}
  <tr id="appt-{{.Code}}" class="st-{{.Status}}{{if .Due}} due{{end}}">
    <td>{{.Time}}{{if .Due}} <strong class="tag">due now</strong>{{end}}</td><td class="code">{{.Code}}</td><td>{{.Lang}}</td><td class="status">{{.Status}}</td><td class="people">{{.People}}</td><td class="queue">{{.Queue}}</td>
    <td class="row-actions">
      {{if and $.Data.IsToday .Booked}}
      <form method="post" action="/clerk/checkin"><input type="hidden" name="office" value="{{$o.ID}}"><input type="hidden" name="date" value="{{$date}}"><input type="hidden" name="code" value="{{.Code}}">{{if gt .Party 1}}<label class="visually-hidden" for="came-{{.Code}}">People who came, of {{.Party}}</label><input id="came-{{.Code}}" name="came" type="number" min="1" max="{{.Party}}" value="{{.Party}}" class="came">{{end}}<button type="submit" class="checkin">Check in</button></form>
      {{end}}
      {{if .CanNoShow}}
      <form method="post" action="/clerk/noshow"><input type="hidden" name="office" value="{{$o.ID}}"><input type="hidden" name="date" value="{{$date}}"><input type="hidden" name="code" value="{{.Code}}"><button type="submit" class="noshow">No-show</button></form>
      {{end}}
      {{if .CanUndo}}
      <form method="post" action="/clerk/undo"><input type="hidden" name="office" value="{{$o.ID}}"><input type="hidden" name="date" value="{{$date}}"><input type="hidden" name="code" value="{{.Code}}"><button type="submit" class="undo">Undo {{if .CheckedIn}}check-in{{else}}no-show{{end}}</button></form>
      {{end}}
      {{if .Booked}}
      <form method="post" action="/clerk/cancel" class="cancel"><input type="hidden" name="office" value="{{$o.ID}}"><input type="hidden" name="date" value="{{$date}}"><input type="hidden" name="code" value="{{.Code}}">
        <label class="visually-hidden" for="reason-{{.Code}}">Reason to cancel {{.Code}}</label>
        <select id="reason-{{.Code}}" name="reason" required><option value="">Cancel: reason…</option>{{range $.Data.Reasons}}<option value="{{.Key}}">{{.Label}}</option>{{end}}</select>
        <button type="submit" class="cancel">Cancel</button></form>
      {{end}}
    </td>
  </tr>
  {{end}}{{if .NowAtEnd}}
  <tr class="now-line" id="now-line"><td colspan="7">Now, {{.Now}}</td></tr>{{end}}
  </tbody>{{end}}`

// TestRowsHTMLMatchesTemplate checks that rowsHTML writes exactly what the
// template wrote, for rows in every state, today and another day, and with
// values that need escaping.
func TestRowsHTMLMatchesTemplate(t *testing.T) {
	tmpl := template.Must(template.New("rows").Parse(oldRows))
	rows := []row{
		{Time: "09:00", Code: "ABC234", Lang: "Spanish", Status: "booked", Booked: true, Party: 1, People: "1"},
		{Time: "09:00", Code: "FAM345", Lang: "Spanish", Status: "booked", Booked: true, Party: 3, People: "3"}, // a family: check-in with a count
		{Time: "09:00", Code: "FAM678", Lang: "en", Status: "checked-in", CheckedIn: true, Party: 3, People: "2 of 3"},
		{Time: "09:15", Code: "DEF567", Lang: "Chinese", Status: "booked", Booked: true, CanNoShow: true, Started: true, Due: true},
		{Time: "09:30", Code: "GHJ89K", Lang: "Arabic", Status: "checked-in", Queue: "called to desk 2", CheckedIn: true, CanUndo: true, Started: true},
		{Time: "09:45", Code: "MNP234", Lang: "en", Status: "no-show", NoShow: true, CanUndo: true, Started: true},
		{Time: "10:00", Code: "QRS567", Lang: "pl", Status: "cancelled", NowBefore: true},
		{Time: "<b>&'\"+", Code: "a\x00<script>", Lang: "x'y", Status: "a b+c"}, // escaping
	}
	for _, today := range []bool{true, false} {
		for _, office := range []string{"city-hall", `o"&<+'x`} {
			d := dayData{Rows: rows, IsToday: today, Now: "<10:00>", NowAtEnd: !today, Reasons: append(cancelReasons, reason{"a&b", "<x>+'\""})}
			var want strings.Builder
			err := tmpl.Execute(&want, pageData{Office: officeOption{ID: office}, Date: "2026-11-30", Data: d})
			if err != nil {
				t.Fatal(err)
			}
			got := "<tbody>\n  " + string(rowsHTML(office, "2026-11-30", &d)) + "\n  </tbody>"
			if got != want.String() {
				t.Errorf("today %v, office %q:\ngot  %q\nwant %q", today, office, got, want.String())
			}
		}
	}
}
