//go:build race

package gitlab_test

// raceDetector: the race detector slows allocation-heavy tests tenfold;
// memory sizes are measured without it (make test runs them so).
const raceDetector = true
