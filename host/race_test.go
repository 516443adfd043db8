//go:build race

package host_test

// raceEnabled reports a test binary built with -race.
const raceEnabled = true
