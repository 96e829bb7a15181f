package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/controlauth"
)

// exitCommandFailed is certify-client's exit code when the partner's own
// command failed (it did not exit 0, or ran past --command-timeout): its
// run is incomplete, whatever the verdicts say.
const exitCommandFailed = 4

// certifyOptions are certify-client's flags.
type certifyOptions struct {
	sandbox, api, suite, clock string
	// controlToken is the sandbox's control_token: certify-client's own
	// control calls send it, and the partner's command gets it as
	// SANDBOX_CONTROL_TOKEN (to advance a frozen session clock).
	controlToken            string
	seed                    int64
	webhookURL, landingURL  string
	junit, json, html       string
	commandTimeout, timeout time.Duration
	keep                    bool
	command                 []string
}

const certifyUsage = `usage: conformance certify-client --sandbox URL --api gitlab|microsoft [flags] -- COMMAND [ARG...]

Opens a certification session on the sandbox, runs COMMAND (the partner's
own tests of its integration) with the session's base URL and credentials in
its environment, then judges what the session saw on the wire and writes the
verdicts. Exit codes: 0 every verdict that must pass passed, 1 a verdict
failed (or was not exercised), 2 usage, 3 the sandbox is unreachable, 4 the
command itself failed.
`

func parseCertifyFlags(args []string, environ []string, stderr io.Writer) (certifyOptions, error) {
	var o certifyOptions
	fs := flag.NewFlagSet("conformance certify-client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, certifyUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.sandbox, "sandbox", lookup(environ)("CONFORMANCE_SANDBOX"), "base URL of the sandbox (or CONFORMANCE_SANDBOX)")
	fs.StringVar(&o.controlToken, "control-token", lookup(environ)("CONFORMANCE_CONTROL_TOKEN"), "the sandbox's control_token, when it has one (or CONFORMANCE_CONTROL_TOKEN); the command gets it as SANDBOX_CONTROL_TOKEN")
	fs.StringVar(&o.api, "api", "", "the marketplace API the partner's integration calls: gitlab or microsoft")
	fs.StringVar(&o.suite, "suite", "", "certification suite (default: gitlab-client for gitlab, microsoft-publisher for microsoft)")
	fs.Int64Var(&o.seed, "seed", 0, "seed of the suite's challenge schedule (0: the sandbox picks one and the report shows it)")
	fs.StringVar(&o.clock, "clock", "real", "the session's clock: real or frozen (frozen: time moves only when the command advances it)")
	fs.StringVar(&o.webhookURL, "webhook-url", "", "microsoft: where the partner's app receives webhooks (default: the session's sample publisher)")
	fs.StringVar(&o.landingURL, "landing-url", "", "microsoft: the partner's landing page (default: the session's sample publisher)")
	fs.StringVar(&o.junit, "junit", "", "write a JUnit XML report to this file")
	fs.StringVar(&o.json, "json", "", "write a JSON report to this file")
	fs.StringVar(&o.html, "html", "", "write a self-contained HTML report to this file")
	fs.DurationVar(&o.commandTimeout, "command-timeout", 10*time.Minute, "stop the command after this long (exit 4)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "give up on one request to the sandbox after this long")
	fs.BoolVar(&o.keep, "keep", false, "leave the session open afterwards (to look at its journal); it ends when idle")
	fs.VisitAll(func(f *flag.Flag) { f.Value = &once{Value: f.Value, name: f.Name} })
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.command = fs.Args()
	return o, o.check()
}

func (o certifyOptions) check() error {
	var errs []error
	if o.sandbox == "" {
		errs = append(errs, errors.New("--sandbox is required (the sandbox's base URL, e.g. http://127.0.0.1:8080)"))
	} else if u, err := url.Parse(o.sandbox); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("--sandbox %q is not an http(s) URL", o.sandbox))
	}
	switch o.api {
	case "gitlab", "microsoft":
	case "":
		errs = append(errs, errors.New("--api is required: gitlab or microsoft"))
	default:
		errs = append(errs, fmt.Errorf("--api %q is not gitlab or microsoft", o.api))
	}
	if o.clock != "real" && o.clock != "frozen" {
		errs = append(errs, fmt.Errorf("--clock %q is not real or frozen", o.clock))
	}
	if o.api == "gitlab" && (o.webhookURL != "" || o.landingURL != "") {
		errs = append(errs, errors.New("--webhook-url and --landing-url are for --api microsoft"))
	}
	if o.seed < 0 {
		errs = append(errs, errors.New("--seed must not be negative"))
	}
	if o.commandTimeout <= 0 || o.timeout <= 0 {
		errs = append(errs, errors.New("--command-timeout and --timeout must be more than 0"))
	}
	if len(o.command) == 0 {
		errs = append(errs, errors.New("name the partner's command after --, e.g. -- go test ./integration/..."))
	}
	return errors.Join(errs...)
}

// runCertify is `conformance certify-client`.
func runCertify(ctx context.Context, args []string, environ []string, stdout, stderr io.Writer) error {
	o, err := parseCertifyFlags(args, environ, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return withCode(exitUsage, err)
	}
	sb := sandboxClient{base: strings.TrimRight(o.sandbox, "/"), http: controlauth.Client(&http.Client{Timeout: o.timeout}, o.controlToken, hostOf(o.sandbox))}
	if err := sb.healthy(ctx); err != nil {
		return withCode(exitUnreachable, err)
	}
	sess, err := sb.open(ctx, o)
	if err != nil {
		return err
	}
	if !o.keep {
		defer func() { _ = sb.end(context.WithoutCancel(ctx), sess.ID) }()
	}
	fmt.Fprintf(stderr, "certify-client: session %s (suite %s, seed %d) at %s\n", sess.ID, sess.Suite, sess.Seed, sess.PrefixURL)
	started := time.Now()
	if o.controlToken != "" {
		if sess.Env == nil {
			sess.Env = map[string]string{}
		}
		sess.Env["SANDBOX_CONTROL_TOKEN"] = o.controlToken
	}
	cmdErr := runPartnerCommand(ctx, o, sess.Env, environ, stdout, stderr)
	rep, err := sb.report(ctx, sess.ID)
	if err != nil {
		return withCode(exitUnreachable, fmt.Errorf("reading the session's report: %w", err))
	}
	run := verdictRun(o, sess, rep, started, cmdErr)
	if err := writeReports(options{junit: o.junit, json: o.json, html: o.html}, run); err != nil {
		return withCode(exitUsage, err)
	}
	printVerdicts(stdout, rep, cmdErr)
	switch {
	case cmdErr != nil:
		return withCode(exitCommandFailed, fmt.Errorf("the partner's command failed: %w", cmdErr))
	case !rep.Passed:
		return withCode(exitFail, errors.New("the integration is not certified: see the verdicts above"))
	}
	return nil
}

// runPartnerCommand runs the command with the session's environment added
// to certify-client's own, its output passed through.
func runPartnerCommand(ctx context.Context, o certifyOptions, env map[string]string, environ []string, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, o.commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.command[0], o.command[1:]...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.Env = append([]string{}, environ...)
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		cmd.Env = append(cmd.Env, k+"="+env[k])
	}
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("it ran past --command-timeout %s and was stopped", o.commandTimeout)
	}
	return err
}

// sandboxClient calls the sandbox's control API.
type sandboxClient struct {
	base string
	http *http.Client
}

// sessionInfo is the part of a session's 201 certify-client uses.
type sessionInfo struct {
	ID        string            `json:"id"`
	Suite     string            `json:"suite"`
	Seed      int64             `json:"seed"`
	PrefixURL string            `json:"prefixUrl"`
	Env       map[string]string `json:"env"`
}

func (c sandboxClient) healthy(ctx context.Context) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/_sandbox/health", nil)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("the sandbox at %s is unreachable: %w", c.base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the sandbox at %s is not ready: GET /_sandbox/health answered %d", c.base, resp.StatusCode)
	}
	return nil
}

func (c sandboxClient) open(ctx context.Context, o certifyOptions) (sessionInfo, error) {
	body := map[string]any{"api": o.api, "clock": o.clock}
	for k, v := range map[string]string{"suite": o.suite, "webhookUrl": o.webhookURL, "landingPageUrl": o.landingURL} {
		if v != "" {
			body[k] = v
		}
	}
	if o.suite == "" {
		body["suite"] = map[string]string{"gitlab": "gitlab-client", "microsoft": "microsoft-publisher"}[o.api]
	}
	if o.seed != 0 {
		body["seed"] = o.seed
	}
	var sess sessionInfo
	status, raw, err := c.do(ctx, http.MethodPost, "/_sandbox/sessions", body, &sess)
	switch {
	case err != nil:
		return sess, withCode(exitUnreachable, err)
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		return sess, withCode(exitUsage, fmt.Errorf("the sandbox refused the session: %s", controlMessage(raw)))
	case status == http.StatusUnauthorized:
		return sess, withCode(exitUsage, fmt.Errorf("the sandbox's control API needs its control token (give it with --control-token or CONFORMANCE_CONTROL_TOKEN): %s", controlMessage(raw)))
	case status != http.StatusCreated:
		return sess, withCode(exitUnreachable, fmt.Errorf("opening a session answered %d: %s", status, controlMessage(raw)))
	}
	return sess, nil
}

func (c sandboxClient) report(ctx context.Context, id string) (sessionReport, error) {
	var rep sessionReport
	status, raw, err := c.do(ctx, http.MethodGet, "/_sandbox/sessions/"+id+"/report", nil, &rep)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("answered %d: %s", status, controlMessage(raw))
	}
	return rep, err
}

func (c sandboxClient) end(ctx context.Context, id string) error {
	_, _, err := c.do(ctx, http.MethodDelete, "/_sandbox/sessions/"+id, nil, nil)
	return err
}

// do sends a control request and decodes a JSON answer into out.
func (c sandboxClient) do(ctx context.Context, method, path string, body, out any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.StatusCode, raw, err
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, raw, fmt.Errorf("%s %s: the answer is not the JSON expected: %w", method, path, err)
		}
	}
	return resp.StatusCode, raw, nil
}

// controlMessage is the error_description of a control API error, or the
// answer itself.
func controlMessage(raw []byte) string {
	var e struct {
		Description string `json:"error_description"`
		Errors      []struct{ Field, Message string }
	}
	if json.Unmarshal(raw, &e) != nil || e.Description == "" {
		return strings.TrimSpace(string(raw))
	}
	msg := e.Description
	for _, f := range e.Errors {
		msg += "; " + f.Field + ": " + f.Message
	}
	return msg
}

// sessionReport is GET /_sandbox/sessions/{id}/report (package
// sandbox/certify's Report, as JSON).
type sessionReport struct {
	Suite    string `json:"suite"`
	API      string `json:"api"`
	Verdicts []struct {
		ID          string `json:"id"`
		Requirement string `json:"requirement"`
		Check       string `json:"check"`
		Must        bool   `json:"must"`
		Status      string `json:"status"`
		Detail      string `json:"detail"`
		Evidence    []struct {
			ID         uint64    `json:"id"`
			Wall       time.Time `json:"wall"`
			Method     string    `json:"method"`
			Path       string    `json:"path"`
			URL        string    `json:"url"`
			Status     int       `json:"status"`
			Fault      string    `json:"fault"`
			Credential string    `json:"credential"`
			Note       string    `json:"note"`
		} `json:"evidence"`
	} `json:"verdicts"`
	Summary struct {
		Pass         int `json:"pass"`
		Fail         int `json:"fail"`
		NotExercised int `json:"notExercised"`
	} `json:"summary"`
	Passed  bool `json:"passed"`
	Journal struct {
		Entries int    `json:"entries"`
		Lost    uint64 `json:"lost"`
	} `json:"journal"`
}

// hostOf is the host[:port] of a URL, "" if it has none.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}
