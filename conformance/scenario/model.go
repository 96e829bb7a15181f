// Package scenario is the format of conformance scenarios: YAML files, each
// stating one requirement of a marketplace API in RFC 2119 words and the
// steps that check it against any implementation. The package loads a
// directory of them, rejects a wrong one with its file, line and field, and
// expands data-driven scenarios (`each`) into one scenario per case.
//
// The format is described by the JSON Schema in scenario.schema.json (also
// usable by editors); conformance/README.md documents every step kind.
package scenario

import (
	"encoding/json"
	"fmt"
	"time"
)

// Scenario is one checkable requirement.
type Scenario struct {
	// ID is stable across releases so that reports can be compared; a case of
	// a data-driven scenario gets `<id>/<case>`.
	ID string `json:"id"`
	// Title is a one-line summary for people.
	Title string `json:"title"`
	// Requirement is the sentence the target must satisfy (RFC 2119 words).
	Requirement string `json:"requirement"`
	// Reference points at the source of the requirement.
	Reference string `json:"reference,omitempty"`
	// API names the marketplace API (APIs), which selects the dialect: the
	// credentials, token service, error envelope, control vocabulary and
	// OpenAPI document.
	API string `json:"api"`
	// Labels become Ginkgo labels and feed --label-filter.
	Labels []string `json:"labels,omitempty"`
	// Needs lists capabilities the target must offer ("control", "faults",
	// "scripts", "magic"; see Capabilities).
	Needs []string `json:"needs,omitempty"`
	// Steps run in order; the first failing step ends the scenario.
	Steps []Step `json:"steps"`

	// Case holds the values of this case of a data-driven scenario (its
	// `each` list is expanded when loading; nil otherwise).
	Case map[string]any `json:"-"`
	// Source is where the scenario was written.
	Source Source `json:"-"`
}

// Source locates a scenario or a step in its file.
type Source struct {
	File string
	Line int
}

// String renders file:line.
func (s Source) String() string { return fmt.Sprintf("%s:%d", s.File, s.Line) }

// AllLabels returns the scenario's labels plus one `cap:<name>` label per
// needed capability, so a label filter can select what a target supports.
func (s Scenario) AllLabels() []string {
	out := append([]string{}, s.Labels...)
	for _, n := range s.Needs {
		out = append(out, "cap:"+n)
	}
	return out
}

// Step is one action with its expectations. Exactly one of Request, Poll,
// Control, Token and Webhook is set.
type Step struct {
	// Name says what the step does, for reports; optional.
	Name string `json:"name,omitempty"`
	// Request sends one HTTP request.
	Request *Request `json:"request,omitempty"`
	// Poll repeats a request until a condition holds.
	Poll *Poll `json:"poll,omitempty"`
	// Control drives the target's control API.
	Control *Control `json:"control,omitempty"`
	// Token asks the harness for a new token now, replacing the cached one.
	Token *TokenRequest `json:"token,omitempty"`
	// Webhook waits for a delivery to the harness's webhook receiver, or
	// says how the receiver answers the next ones.
	Webhook *Webhook `json:"webhook,omitempty"`
	// Expect judges the (last) response, or the delivery a webhook step
	// waited for (its request headers and body).
	Expect *Expect `json:"expect,omitempty"`
	// Observed replaces Expect under the `observed` profile: what the live
	// service was seen to do where it departs from Microsoft's pages.
	Observed *Expect `json:"observed,omitempty"`
	// Capture keeps response values as ${vars.<name>}.
	Capture map[string]Capture `json:"capture,omitempty"`
	// Lifecycle checks the statuses seen against a transition graph.
	Lifecycle *Lifecycle `json:"lifecycle,omitempty"`

	// Line is the step's line in its file.
	Line int `json:"-"`
}

// Kind names the step's action: "request", "poll", "control", "token" or
// "webhook".
func (s Step) Kind() string {
	switch {
	case s.Poll != nil:
		return "poll"
	case s.Control != nil:
		return "control"
	case s.Token != nil:
		return "token"
	case s.Webhook != nil:
		return "webhook"
	default:
		return "request"
	}
}

// Request is one HTTP request to the target. String values may contain
// ${...} references (see the README).
type Request struct {
	Method string `json:"method"`
	// Path is relative to the target's base URL.
	Path  string            `json:"path"`
	Query map[string]string `json:"query,omitempty"`
	// Headers are sent as written; a literal Authorization wins over Auth.
	Headers map[string]string `json:"headers,omitempty"`
	Auth    *Auth             `json:"auth,omitempty"`
	// JSON, Form, Raw and Repeat are the four exclusive body kinds.
	JSON   any               `json:"json,omitempty"`
	Form   map[string]string `json:"form,omitempty"`
	Raw    *string           `json:"raw,omitempty"`
	Repeat *Repeat           `json:"repeat,omitempty"`
	// Set replaces fields of the JSON body, by field path.
	Set map[string]any `json:"set,omitempty"`
	// Omit removes fields of the JSON body, by field path.
	Omit []string `json:"omit,omitempty"`
	// Timeout bounds this request (answer and body), e.g. to meet a
	// hanging connection within a scenario instead of the run's timeout.
	Timeout Duration `json:"timeout,omitempty"`
	// APIVersion is the api-version a Microsoft request carries: empty for
	// the dialect's own (2018-08-31, added to every /api/ path), "none" to
	// send none, anything else to send that value. A literal api-version in
	// query wins.
	APIVersion string `json:"apiVersion,omitempty"`
	// Service "entra" sends the request to the Entra token service (the
	// target's microsoft.authority) instead of the target, for Microsoft
	// scenarios about tokens; it needs "tokens".
	Service string `json:"service,omitempty"`
}

// ServiceEntra is the Service of a request to the token service.
const ServiceEntra = "entra"

// NoAPIVersion is the APIVersion that sends none.
const NoAPIVersion = "none"

// Repeat builds a large raw body without writing it out.
type Repeat struct {
	Text  string `json:"text"`
	Times int    `json:"times"`
}

// Auth says which credential authenticates a request. Token fetches (once
// per scenario) a client-credentials token for the named credential;
// Bearer sends a literal token; Basic sends HTTP Basic credentials.
type Auth struct {
	Token string `json:"token,omitempty"`
	Scope string `json:"scope,omitempty"`
	// Version is the Entra token endpoint of a Microsoft token: "v2"
	// (default, `scope`) or "v1" (`resource`).
	Version string `json:"version,omitempty"`
	Bearer  string `json:"bearer,omitempty"`
	Basic   *Basic `json:"basic,omitempty"`
}

// TokenRequest asks the harness for a new client-credentials token now,
// for a credential (and a scope, default the credential's own). Requests
// with `auth: {token: …}` reuse one token per scenario, as a real client
// caches it by its own clock; after `clock.advance` past the token's
// lifetime only the portal knows it expired, so a scenario says when to
// get a new one.
type TokenRequest struct {
	Credential string `json:"credential"`
	Scope      string `json:"scope,omitempty"`
	// Version is the Entra endpoint of a Microsoft token ("v1" or "v2").
	Version string `json:"version,omitempty"`
}

// Webhook is a step on the publisher's side of the wire: the harness
// runs a receiver the target delivers Microsoft's webhooks to. With
// Respond it says how the receiver answers the deliveries that come next
// in this scenario; otherwise it waits for deliveries whose JSON body
// matches Match, received during this scenario and not taken by an
// earlier webhook step, and judges the last one.
type Webhook struct {
	// Match holds matchers on the delivery's JSON body, by field path.
	Match map[string]Matcher `json:"match,omitempty"`
	// Count is how many matching deliveries to wait for (default 1), e.g.
	// the retries of a delivery the receiver refused.
	Count int `json:"count,omitempty"`
	// Timeout bounds the wait in real time (default 5s).
	Timeout Duration `json:"timeout,omitempty"`
	// None expects no matching delivery within Timeout.
	None bool `json:"none,omitempty"`
	// Verify checks the delivery's JWT against the target's discovery
	// document: signature, aud (the publisher's app), tid (its tenant),
	// appid / azp (the marketplace's), lifetime.
	Verify bool `json:"verify,omitempty"`
	// Respond sets the receiver's answer to the deliveries that follow.
	Respond *WebhookAnswer `json:"respond,omitempty"`
}

// WebhookAnswer is how the harness's receiver answers deliveries.
type WebhookAnswer struct {
	// Status is the HTTP status (default 200).
	Status int `json:"status,omitempty"`
	// Delay holds the answer back this long.
	Delay Duration `json:"delay,omitempty"`
	// NoAnswer closes the connection without an answer.
	NoAnswer bool `json:"noAnswer,omitempty"`
	// Times is how many deliveries get this answer before the receiver
	// answers 200 again (0: every one until the scenario ends).
	Times int `json:"times,omitempty"`
}

// Basic is HTTP Basic authentication, from a credential or literal values.
type Basic struct {
	Credential string `json:"credential,omitempty"`
	Username   string `json:"username,omitempty"`
	Password   string `json:"password,omitempty"`
}

// Poll repeats a request until a condition holds or a timeout passes,
// recording every response. With the control capability and AdvanceClock,
// the target's clock is advanced between attempts instead of waiting.
type Poll struct {
	Request      Request  `json:"request"`
	Until        Expect   `json:"until"`
	Every        Duration `json:"every,omitempty"`
	AdvanceClock Duration `json:"advanceClock,omitempty"`
	Timeout      Duration `json:"timeout"`
	// OnTimeout is "fail" (default) or "continue" (the step's expectations
	// then judge the last response).
	OnTimeout string `json:"onTimeout,omitempty"`
}

// Control drives the target's control API (our sandbox's /_sandbox). The
// action vocabulary is closed (ControlActions); With holds the action's
// arguments: a body, query parameters or the id of what it names.
type Control struct {
	Action string         `json:"action"`
	With   map[string]any `json:"with,omitempty"`
}

// Expect lists what a response must look like. Every unmet expectation is
// reported, not only the first.
type Expect struct {
	Status  StatusSet          `json:"status,omitempty"`
	Headers map[string]Matcher `json:"headers,omitempty"`
	JSON    map[string]Matcher `json:"json,omitempty"`
	Body    *Matcher           `json:"body,omitempty"`
	OpenAPI bool               `json:"openapi,omitempty"`
	// Transport expects the request to get no whole HTTP answer, in one of
	// the ways TransportFaults lists; it excludes every other expectation.
	Transport string `json:"transport,omitempty"`
}

// TransportFaults are the ways a request can fail to get a readable HTTP
// answer that a scenario can expect: the connection reset (reset), closed
// before any answer (eof), answered with bytes that are not HTTP or with a
// JSON content type and a body that is not JSON (malformed), a body cut
// short after the status line and headers (truncated), or no answer
// within the request's timeout (timeout).
func TransportFaults() []string {
	return []string{"reset", "eof", "malformed", "truncated", "timeout"}
}

// StatusSet is one or several acceptable HTTP status codes.
type StatusSet []int

// UnmarshalJSON accepts a single code or a list.
func (s *StatusSet) UnmarshalJSON(b []byte) error {
	var one int
	if err := json.Unmarshal(b, &one); err == nil {
		*s = StatusSet{one}
		return nil
	}
	var many []int
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("status: want a code or a list of codes")
	}
	*s = many
	return nil
}

// Capture names a response value to keep in ${vars.<name>}.
type Capture struct {
	JSON   string `json:"json,omitempty"`
	Header string `json:"header,omitempty"`
	// Pattern keeps only the first group of this regular expression in
	// the captured text, e.g. the operation id of an Operation-Location.
	Pattern string `json:"pattern,omitempty"`
}

// Lifecycle records the value at Path in every response of the step and
// checks the sequence against a named transition graph.
type Lifecycle struct {
	Graph   string `json:"graph"`
	Path    string `json:"path"`
	Subject string `json:"subject,omitempty"`
}

// Duration is a Go duration written as a string ("2s", "150ms").
type Duration time.Duration

// UnmarshalJSON parses the duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}
