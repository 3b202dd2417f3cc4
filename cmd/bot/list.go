package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/cita-city/cita/scheduling"
)

func (m *Main) list(ctx context.Context, args []string) error {
	var c Config
	fs := m.flagSet("list", &c)
	date := fs.String("date", "", "day to list, YYYY-MM-DD (default: today in the program's time zone)")
	office := fs.String("office", "", "office id (default: all offices)")
	format := fs.String("format", "text", "text or csv")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *format != "text" && *format != "csv" {
		return usageError("--format must be text or csv, not %q", *format)
	}
	program, err := m.loadProgram(c)
	if err != nil {
		return err
	}
	day := scheduling.DateOf(m.Now().In(program.Location))
	if *date != "" {
		if day, err = scheduling.ParseDate(*date); err != nil {
			return usageError("--date: %v", err)
		}
	}
	if *office != "" {
		if _, ok := program.Office(*office); !ok {
			return usageError("--office: no office %q in %s", *office, program.Source)
		}
	}
	store, err := m.openStore(c, program.Location)
	if err != nil {
		return err
	}
	defer store.Close()
	appts, err := store.Between(*office, day.In(program.Location, 0, 0), day.AddDays(1).In(program.Location, 0, 0))
	if err != nil {
		return fmt.Errorf("list %s: %w", day, err)
	}
	if *format == "csv" {
		w := csv.NewWriter(m.Stdout)
		_ = w.Write([]string{"date", "time", "office", "code", "language", "status", "people"})
		for _, a := range appts {
			t := a.Start.In(program.Location)
			_ = w.Write([]string{t.Format("2006-01-02"), t.Format("15:04"), a.Office, a.Code, a.Lang, a.Status.String(), strconv.Itoa(a.People())})
		}
		w.Flush()
		return w.Error()
	}
	fmt.Fprintf(m.Stdout, "%s, %d appointments\n", day, len(appts))
	if len(appts) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tOFFICE\tCODE\tLANGUAGE\tSTATUS\tPEOPLE")
	for _, a := range appts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", a.Start.In(program.Location).Format("15:04"), a.Office, a.Code, a.Lang, a.Status, a.People())
	}
	return tw.Flush()
}
