package clienttest

import (
	"net"
	"strconv"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/certify"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// PublisherSession opens a microsoft-publisher certification session on
// srv whose publisher calls an app on a free loopback port.
func PublisherSession(t testing.TB, srv *sandboxtest.Server, seed int64) *sandboxtest.Session {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close() // the app listens there once it starts
	base := "http://127.0.0.1:" + port
	return srv.Session(t, "microsoft", sandboxtest.SessionOptions{Suite: "microsoft-publisher", Seed: seed,
		WebhookURL: base + "/webhook", LandingPageURL: base + "/landing"})
}

// Verdicts splits a report's verdict ids by status.
func Verdicts(rep certify.Report) (failed, notExercised []string) {
	for _, v := range rep.Verdicts {
		switch v.Status {
		case certify.Fail:
			failed = append(failed, v.ID)
		case certify.NotExercised:
			notExercised = append(notExercised, v.ID)
		}
	}
	return failed, notExercised
}
