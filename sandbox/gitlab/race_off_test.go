//go:build !race

package gitlab_test

const raceDetector = false
