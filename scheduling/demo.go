package scheduling

import (
	_ "embed"
	"fmt"
	"regexp"
)

// DemoName is the file name the demo program is reported under.
const DemoName = "demo.toml"

// DemoProgram is the text of the demo program file: a CityKey-like program
// for Chicago, used when no program file is configured and by tests.
//
//go:embed demo.toml
var DemoProgram []byte

// Demo returns the demo program, loaded. It panics if the embedded file is
// invalid, which the package's tests rule out.
func Demo() *Program {
	p, err := Load(DemoName, DemoProgram)
	if err != nil {
		panic(fmt.Sprintf("scheduling: embedded demo program: %v", err))
	}
	return p
}

var desksLine = regexp.MustCompile(`(?m)^desks = \d+`)

// DemoProgramWithDesks is the demo program's text with every office given
// desks seats per slot: load tests and benchmarks use it so that no booking
// turns into "slot taken" (that path has tests of its own).
func DemoProgramWithDesks(desks int) []byte {
	return desksLine.ReplaceAll(DemoProgram, fmt.Appendf(nil, "desks = %d", desks))
}
