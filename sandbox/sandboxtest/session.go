package sandboxtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/certify"
)

// Session is a certification session of the server (README, "Certifying
// a client"): an isolated workspace with its own partner or publisher,
// clock, faults and journal, whose suite arms challenges on the traffic
// of the client under test and judges it.
type Session struct {
	// ID is the session's id; URL is the sandbox's root, where the client
	// calls the vendor API with Credentials; ControlURL is the session's
	// own control API.
	ID          string         `json:"id"`
	URL         string         `json:"baseUrl"`
	PrefixURL   string         `json:"prefixUrl"`
	ControlURL  string         `json:"controlUrl"`
	Seed        int64          `json:"seed"`
	Credentials map[string]any `json:"credentials"`
	// Env is what certify-client gives the partner's command: set it for
	// the client under test.
	Env map[string]string `json:"env"`

	srv *Server
}

// SessionOptions choose a session's suite and challenge schedule.
type SessionOptions struct {
	// Suite is a certification suite (gitlab-client, microsoft-publisher);
	// empty opens a plain isolated workspace.
	Suite string `json:"suite,omitempty"`
	// Seed fixes the challenge schedule (0: the sandbox picks one).
	Seed int64 `json:"seed,omitempty"`
	// Clock is "real" (default) or "frozen".
	Clock string `json:"clock,omitempty"`
	// WebhookURL and LandingPageURL point a Microsoft session's publisher
	// at the app under test.
	WebhookURL     string `json:"webhookUrl,omitempty"`
	LandingPageURL string `json:"landingPageUrl,omitempty"`
}

// OpenSession opens a session for api ("gitlab" or "microsoft").
func (s *Server) OpenSession(api string, opts SessionOptions) (*Session, error) {
	body := struct {
		API string `json:"api"`
		SessionOptions
	}{api, opts}
	var sess Session
	if err := s.control(http.MethodPost, "/_sandbox/sessions", body, http.StatusCreated, &sess); err != nil {
		return nil, fmt.Errorf("opening a %s session: %w", api, err)
	}
	sess.srv = s
	return &sess, nil
}

// Session opens a session for the test and ends it when the test ends.
func (s *Server) Session(t testing.TB, api string, opts SessionOptions) *Session {
	t.Helper()
	sess, err := s.OpenSession(api, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sess.End() })
	return sess
}

// Advance moves the session's clock (not the server's) and fires what
// falls due.
func (sess *Session) Advance(d time.Duration) error {
	return sess.srv.control(http.MethodPost, sess.controlPath("/clock/advance"), map[string]string{"by": d.String()}, http.StatusOK, nil)
}

// Report judges what the session saw with its suite.
func (sess *Session) Report() (certify.Report, error) {
	var rep certify.Report
	err := sess.srv.control(http.MethodGet, "/_sandbox/sessions/"+sess.ID+"/report", nil, http.StatusOK, &rep)
	return rep, err
}

// RequireCertified fails the test with every verdict that must pass and
// did not (not exercised included), with its evidence.
func (sess *Session) RequireCertified(t testing.TB) certify.Report {
	t.Helper()
	rep, err := sess.Report()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range rep.Verdicts {
		if v.Must && v.Status != certify.Pass {
			var b strings.Builder
			for _, e := range v.Evidence {
				fmt.Fprintf(&b, "\n    #%d %s %s%s → %d %s %s", e.ID, e.Method, e.Path, e.URL, e.Status, e.Fault, e.Note)
			}
			t.Errorf("%s: %s\n  %s: %s%s", v.ID, v.Requirement, v.Status, v.Detail, b.String())
		}
	}
	if rep.Journal.Lost > 0 {
		t.Errorf("the session's journal lost %d entries: nothing can be certified", rep.Journal.Lost)
	}
	return rep
}

// End ends the session and frees what it held.
func (sess *Session) End() error {
	return sess.srv.control(http.MethodDelete, "/_sandbox/sessions/"+sess.ID, nil, http.StatusNoContent, nil)
}

func (sess *Session) controlPath(p string) string {
	return strings.TrimPrefix(sess.ControlURL, sess.srv.URL) + p
}

// control calls the server's control API and decodes the answer.
func (s *Server) control(method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.controlClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s answered %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(raw))
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}
