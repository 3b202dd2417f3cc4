//go:build !linux

package main

// disableCoreDumps does nothing here: cita is deployed on Linux
// (docs/DEPLOY.md); elsewhere, turn core dumps off in the service manager.
func disableCoreDumps() error { return nil }

// openFileLimit is unknown here: 0.
func openFileLimit() int { return 0 }
