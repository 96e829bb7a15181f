package engine

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/expect"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/lifecycle"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/openapi"
	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
)

// check returns every way resp misses e. Errors are scenario errors (a
// reference that cannot be resolved).
func (s *state) check(e *scenario.Expect, resp *response) ([]string, error) {
	if e == nil {
		return nil, nil
	}
	var out []string
	if len(e.Status) > 0 && !containsInt(e.Status, resp.status) {
		want := fmt.Sprint(e.Status[0])
		if len(e.Status) > 1 {
			want = "one of " + fmt.Sprint([]int(e.Status))
		}
		out = append(out, fmt.Sprintf("status: want %s, got %d (body %s)", want, resp.status, excerpt(resp.body)))
	}
	for _, name := range slices.Sorted(maps.Keys(e.Headers)) {
		m, err := s.resolveMatcher(e.Headers[name])
		if err != nil {
			return nil, err
		}
		v := expect.Missing()
		if vals := resp.header.Values(name); len(vals) > 0 {
			v = expect.Found(strings.Join(vals, ", "))
		}
		out = append(out, prefixed("header "+name+": ", expect.Match(m, v, expect.Text))...)
	}
	jsonFailures, err := s.checkJSON(e.JSON, resp)
	if err != nil {
		return nil, err
	}
	out = append(out, jsonFailures...)
	if e.Body != nil {
		m, err := s.resolveMatcher(*e.Body)
		if err != nil {
			return nil, err
		}
		out = append(out, prefixed("body: ", expect.Match(m, expect.Found(string(resp.body)), expect.Text))...)
	}
	if e.OpenAPI {
		c := s.runner.contracts[s.scenario.API]
		out = append(out, prefixed("openapi: ", c.CheckResponse(openapi.Response{
			Method: resp.method, Path: resp.path, Status: resp.status, Header: resp.header, Body: resp.body,
		}))...)
	}
	return out, nil
}

func (s *state) checkJSON(fields map[string]scenario.Matcher, resp *response) ([]string, error) {
	if len(fields) == 0 {
		return nil, nil
	}
	if resp.jsonErr != nil {
		return []string{fmt.Sprintf("body: want JSON (to check %s), got %s", strings.Join(slices.Sorted(maps.Keys(fields)), ", "), excerpt(resp.body))}, nil
	}
	var out []string
	for _, raw := range slices.Sorted(maps.Keys(fields)) {
		p, err := s.path(raw)
		if err != nil {
			return nil, err
		}
		m, err := s.resolveMatcher(fields[raw])
		if err != nil {
			return nil, err
		}
		v := expect.Missing()
		if got, ok := p.Get(resp.json); ok {
			v = expect.Found(got)
		}
		out = append(out, prefixed("json "+p.String()+": ", expect.Match(m, v, expect.JSON))...)
	}
	return out, nil
}

// capture stores the step's captures; a value the response lacks is a
// failure of the target.
func (s *state) capture(caps map[string]scenario.Capture, resp *response) ([]string, error) {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(caps)) {
		c := caps[name]
		var v any
		if c.Header != "" {
			h := resp.header.Get(c.Header)
			if h == "" {
				out = append(out, fmt.Sprintf("capture %s: response has no header %s", name, c.Header))
			}
			v = h
		} else {
			p, err := s.path(c.JSON)
			if err != nil {
				return nil, err
			}
			got, ok := p.Get(resp.json)
			if !ok {
				out = append(out, fmt.Sprintf("capture %s: response has no JSON field %s", name, p))
			}
			v = got
		}
		if c.Pattern != "" && v != nil {
			part, msg := capturePart(c.Pattern, v)
			if msg != "" {
				out = append(out, fmt.Sprintf("capture %s: %s", name, msg))
			}
			v = part
		}
		s.vars[name] = v
	}
	return out, nil
}

// capturePart is the first group of pattern in a captured text (a header
// such as Operation-Location, or a string field).
func capturePart(pattern string, v any) (string, string) {
	text, ok := v.(string)
	if !ok {
		return "", fmt.Sprintf("pattern %q needs a text, got %s", pattern, expect.Show(v))
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return "", fmt.Sprintf("bad pattern %q: %v", pattern, err)
	}
	m := re.FindStringSubmatch(text)
	if m == nil || len(m) < 2 {
		return "", fmt.Sprintf("%q does not match %q", text, pattern)
	}
	return m[1], ""
}

// observe feeds the lifecycle trace of the step's subject.
func (s *state) observe(l *scenario.Lifecycle, resp *response, sr *StepResult) ([]string, error) {
	if l == nil {
		return nil, nil
	}
	graph, ok := lifecycle.Named(l.Graph)
	if !ok {
		return nil, brokenf("unknown lifecycle graph %q", l.Graph)
	}
	subject, err := s.text(l.Subject)
	if err != nil {
		return nil, err
	}
	key := l.Graph + "\x00" + subject
	if s.traces[key] == nil {
		s.traces[key] = lifecycle.NewTrace(graph)
	}
	p, err := s.path(l.Path)
	if err != nil {
		return nil, err
	}
	v, ok := p.Get(resp.json)
	state, isString := v.(string)
	if !ok || !isString {
		return []string{fmt.Sprintf("lifecycle: want a %s status at %s, got %s", l.Graph, p, expect.Show(v))}, nil
	}
	sr.Observed = append(sr.Observed, state)
	if err := s.traces[key].Observe(state); err != nil {
		return []string{"lifecycle: " + err.Error()}, nil
	}
	return nil, nil
}

func prefixed(prefix string, msgs []string) []string {
	for i := range msgs {
		msgs[i] = prefix + msgs[i]
	}
	return msgs
}

func containsInt(list []int, n int) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}
