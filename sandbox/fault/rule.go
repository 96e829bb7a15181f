// Package fault injects HTTP faults into a marketplace's API: error
// answers in the vendor's own envelope, latency, and broken transports
// (reset, empty, malformed or truncated answers, hangs), so that a partner
// can test its retries and timeouts against the sandbox. Rules are
// deterministic: every rule draws from its own random source derived from
// the global seed and its id, so the same seed and the same requests give
// the same faults. The /_sandbox control API is never faulted.
package fault

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

// Rule says which requests to fault, how, and when. Its JSON and YAML
// field names are the same, so a rule can be copied between the control
// API and the config file's faults list.
type Rule struct {
	// ID names the rule; when empty the store generates "r1", "r2", ….
	ID string `json:"id,omitempty"`
	// API is the marketplace the rule applies to ("gitlab"); empty means any.
	API      string   `json:"api,omitempty"`
	Match    Match    `json:"match"`
	Effect   Effect   `json:"effect"`
	Schedule Schedule `json:"schedule,omitzero"`
}

// Match selects requests; every field that is set must match.
type Match struct {
	// Method is an HTTP method such as POST.
	Method string `json:"method,omitempty"`
	// Path is an exact escaped path, or a pattern where "*" is one segment
	// and a final "**" any rest (package pathpattern).
	Path string `json:"path,omitempty"`
	// Partner is a fixtures partner id, e.g. demo-partner.
	Partner string `json:"partner,omitempty"`
	// Client is an OAuth client id.
	Client string `json:"client,omitempty"`
	// Headers maps header names to the exact value each must have.
	Headers map[string]string `json:"headers,omitempty"`
}

// Effect is what happens to a faulted request: an error status, a delay, a
// broken transport, or a delay before one of the others.
type Effect struct {
	// Status is a 4xx or 5xx answered in the vendor's error envelope.
	Status int `json:"status,omitempty"`
	// Message replaces the envelope's error_description.
	Message string `json:"message,omitempty"`
	// RetryAfter sets Retry-After (in whole seconds, rounded up); 429 and
	// 503 carry DefaultRetryAfter when it is not given.
	RetryAfter *Duration `json:"retryAfter,omitempty"`
	// Latency delays the answer by real wall-clock time.
	Latency *Latency `json:"latency,omitempty"`
	// Transport breaks the connection instead of answering normally.
	Transport Transport `json:"transport,omitempty"`
}

// DefaultRetryAfter is the Retry-After of a 429 or 503 rule that sets none.
const DefaultRetryAfter = time.Second

// Transport is a way of breaking an answer at the connection level.
type Transport string

// The transport effects.
const (
	// Reset closes the connection with SO_LINGER 0: the client reads a
	// connection reset.
	Reset Transport = "reset"
	// Empty closes the connection without writing anything.
	Empty Transport = "empty"
	// Malformed answers 200 application/json with a body that is not JSON.
	Malformed Transport = "malformed"
	// Truncated lets the real handler answer, then sends the headers with
	// the full Content-Length and only half the body before closing.
	Truncated Transport = "truncated"
	// Hang never answers: it waits until the client gives up (or the
	// sandbox's maximum hang passes, or it stops).
	Hang Transport = "hang"
)

var transports = []Transport{Reset, Empty, Malformed, Truncated, Hang}

// Latency is one distribution of delays; exactly one field is set.
type Latency struct {
	Fixed     *Duration  `json:"fixed,omitempty"`
	Uniform   *Uniform   `json:"uniform,omitempty"`
	LogNormal *LogNormal `json:"logNormal,omitempty"`
}

// Uniform draws delays evenly between Min and Max.
type Uniform struct {
	Min Duration `json:"min"`
	Max Duration `json:"max"`
}

// LogNormal draws delays whose logarithm is normal: half are below Median,
// and Sigma (of the logarithm) sets how long the tail is, as real network
// latencies are.
type LogNormal struct {
	Median Duration `json:"median"`
	Sigma  float64  `json:"sigma"`
}

// Schedule says which matching requests fire. Every condition that is set
// must hold.
type Schedule struct {
	// Times lets only the first Times matches fire.
	Times int `json:"times,omitempty"`
	// Every fires on every Every-th match (the Every-th, 2·Every-th, …).
	Every int `json:"every,omitempty"`
	// Probability fires a match with this chance, drawn from the rule's
	// seeded random source (one draw per match).
	Probability *float64 `json:"probability,omitempty"`
	// From and Until bound a window on the sandbox clock: an RFC 3339 time
	// or "+10m", relative to the rule's creation on the sandbox clock.
	From  string `json:"from,omitempty"`
	Until string `json:"until,omitempty"`
}

// Duration is a time.Duration written as Go writes it ("200ms", "30s") or
// as a number of seconds.
type Duration time.Duration

// MarshalJSON writes the duration as Go formats it.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads "200ms" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	text := string(bytes.TrimSpace(b))
	if unquoted, err := strconv.Unquote(text); err == nil {
		text = unquoted
	}
	if secs, err := strconv.ParseFloat(text, 64); err == nil {
		*d = Duration(secs * float64(time.Second))
		return nil
	}
	parsed, err := time.ParseDuration(text)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 200ms, 30s or 2m", text)
	}
	*d = Duration(parsed)
	return nil
}

// Rules is the config file's faults list. It decodes YAML through JSON, so
// that the file takes exactly the control API's field names and rejects
// unknown ones.
type Rules []Rule

// UnmarshalYAML decodes a YAML list of rules strictly.
func (rs *Rules) UnmarshalYAML(doc []byte) error {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return err
	}
	var out Rules
	var list []json.RawMessage
	if err := json.Unmarshal(js, &list); err != nil {
		return fmt.Errorf("faults: must be a list of rules")
	}
	for i, raw := range list {
		r, err := DecodeRule(raw)
		if err != nil {
			return fmt.Errorf("faults[%d]: %w", i, err)
		}
		out = append(out, r)
	}
	*rs = out
	return nil
}

// DecodeRule reads one rule from JSON, refusing unknown fields and
// trailing data.
func DecodeRule(body []byte) (Rule, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var r Rule
	if err := dec.Decode(&r); err != nil {
		return Rule{}, decodeError(err)
	}
	if dec.More() {
		return Rule{}, fmt.Errorf("one rule (a JSON object) only, nothing after it")
	}
	return r, nil
}

// decodeError phrases encoding/json's errors for a person.
func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		return fmt.Errorf("%s: a %s cannot hold %s", typeErr.Field, typeErr.Type, typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Errorf("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return fmt.Errorf("not a JSON rule: %v", err)
}
