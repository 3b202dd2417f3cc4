package main

import (
	"context"
	"errors"

	"github.com/cita-city/cita/clerk"
	"github.com/cita-city/cita/scheduling"
	"github.com/cita-city/cita/storage"
)

// counters gives the clerk pages the store's anonymous counters in the
// clerk package's terms (clerk imports no storage).
type counters struct{ store *storage.Store }

var _ clerk.Counters = counters{}

func (c counters) DayCounts() ([]clerk.DayCount, error) {
	list, err := c.store.Counters()
	if err != nil {
		return nil, err
	}
	out := make([]clerk.DayCount, len(list))
	for i, d := range list {
		out[i] = clerk.DayCount{Office: d.Office, Day: d.Day, Booked: d.Booked, Arrived: d.CheckedIn,
			NoShow: d.NoShow, Cancelled: d.Cancelled, WalkIns: d.WalkIns, ByLang: d.ByLang}
	}
	return out, nil
}

func (c counters) CountWalkIn(office string, day scheduling.Date, people int) error {
	return c.store.CountWalkIn(office, day, people)
}

// report prints the managers' report over whole months: the closed days'
// anonymous counts by office, week and language, counts below 5 masked.
func (m *Main) report(ctx context.Context, args []string) error {
	var c Config
	fs := m.flagSet("report", &c)
	from := fs.String("from", "", "first month, YYYY-MM (required)")
	to := fs.String("to", "", "last month, YYYY-MM (default: the first)")
	format := fs.String("format", "text", "text or csv")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *format != "text" && *format != "csv" {
		return usageError("--format must be text or csv, not %q", *format)
	}
	if *from == "" {
		return usageError("--from YYYY-MM is required")
	}
	if *to == "" {
		*to = *from
	}
	fromMonth, err := clerk.ParseMonth(*from)
	if err != nil {
		return usageError("--from: %v", err)
	}
	toMonth, err := clerk.ParseMonth(*to)
	if err != nil {
		return usageError("--to: %v", err)
	}
	program, store, err := m.programStore(c)
	if err != nil {
		return err
	}
	defer store.Close()
	counts, err := counters{store}.DayCounts()
	if err != nil {
		return fail("%v", err)
	}
	rep, err := clerk.BuildReport(program, counts, fromMonth, toMonth)
	if errors.Is(err, clerk.ErrMonths) {
		return usageError("--from %s is after --to %s", *from, *to)
	} else if err != nil {
		return fail("%v", err)
	}
	if *format == "csv" {
		return rep.WriteCSV(m.Stdout)
	}
	return rep.WriteText(m.Stdout)
}
