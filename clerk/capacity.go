package clerk

import (
	"net/http"

	"github.com/cita-city/cita/scheduling"
)

// capacityDays is how far ahead the capacity chart looks.
const capacityDays = 14

// Geometry of the chart, in SVG user units.
const (
	chartBarWidth = 40
	chartGap      = 8
	chartLeft     = 8
	chartTop      = 24
	chartHeight   = 150
	chartBottom   = 40
	minBar        = 3 // the least height of a bar that is not zero
)

type capacityChart struct {
	Office        string
	Width, Height int
	Baseline      int
	Days          []capacityDay
}

type capacityDay struct {
	Date, Label, Weekday string
	Booked, Capacity     int
	Closed, Full         bool
	// Bar geometry: the capacity outline and the booked bar inside it.
	X, TextX, CapY, CapH, BookedY, BookedH, LabelY, DayY, NumY int
}

// capacityPage shows, per office, booked seats against capacity for the
// next two weeks, so a manager sees where to add desks.
func (s *server) capacityPage(w http.ResponseWriter, r *http.Request, p *principal) {
	var charts []capacityChart
	for _, o := range s.Program.Offices {
		c, err := s.chart(o)
		if err != nil {
			s.internalError(w, r, "capacity", err)
			return
		}
		charts = append(charts, c)
	}
	s.render(w, r, http.StatusOK, "capacity", p, pageData{Title: "Next two weeks", Data: charts})
}

func (s *server) chart(o scheduling.Office) (capacityChart, error) {
	first := s.today()
	from, _ := s.dayBounds(first)
	_, to := s.dayBounds(first.AddDays(capacityDays - 1))
	taken, err := s.Store.Taken(o.ID, from, to)
	if err != nil {
		return capacityChart{}, err
	}
	c := capacityChart{
		Office:   o.Name(s.Program.Languages[0]),
		Width:    chartLeft*2 + capacityDays*(chartBarWidth+chartGap),
		Height:   chartTop + chartHeight + chartBottom,
		Baseline: chartTop + chartHeight,
	}
	top := 1
	for i := range capacityDays {
		d := first.AddDays(i)
		day := capacityDay{Date: dateWords(d), Label: d.In(s.loc(), 12, 0).Format("2 Jan"), Weekday: d.Weekday().String()[:3]}
		closed, err := s.Closures.Closed(o.ID, d)
		if err != nil {
			return capacityChart{}, err
		}
		slots := s.Program.Slots(o, d)
		// A day without hours (a weekend) is as closed as a holiday.
		day.Closed = closed || s.Program.Closed(o.ID, d) || len(slots) == 0
		if !day.Closed {
			day.Capacity = len(slots) * o.Desks
		}
		for _, t := range slots {
			day.Booked += taken[t.Unix()]
		}
		day.Full = day.Capacity > 0 && day.Booked*10 >= day.Capacity*9
		top = max(top, day.Capacity, day.Booked)
		c.Days = append(c.Days, day)
	}
	for i := range c.Days {
		day := &c.Days[i]
		day.X = chartLeft + i*(chartBarWidth+chartGap)
		day.TextX = day.X + chartBarWidth/2
		day.CapH = day.Capacity * chartHeight / top
		day.CapY = c.Baseline - day.CapH
		day.BookedH = day.Booked * chartHeight / top
		if day.Booked > 0 {
			// One booking of 128 seats must still show: at least 3 units.
			day.BookedH = max(day.BookedH, minBar)
		}
		day.BookedY = c.Baseline - day.BookedH
		day.LabelY = min(day.CapY, day.BookedY) - 6
		day.DayY = c.Baseline + 16
		day.NumY = c.Baseline + 32
	}
	return c, nil
}
