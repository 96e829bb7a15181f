package certify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// selector reads one value out of a journal entry: a path segment, a
// member of the request or response JSON body, a query parameter, a
// request or response header, or one of the entry's own fields. Suites
// name values this way so that a check knows no marketplace's field names.
type selector struct {
	source string // path, body, response, query, header, responseHeader, client, partner, credential, status, url
	arg    string
	index  int  // path: the segment number, 1 being the first after the leading "/"
	hour   bool // "|hour": an RFC 3339 time cut to its UTC hour
}

// plainSources are the sources that take no argument.
var plainSources = map[string]bool{"client": true, "partner": true, "credential": true, "status": true, "url": true}

// argSources are the sources written "source:argument".
var argSources = map[string]bool{"path": true, "body": true, "response": true, "query": true, "header": true, "responseHeader": true}

// parseSelector reads "body:externalSubscriptionId", "path:5",
// "body:effectiveStartTime|hour", "client"…
func parseSelector(text string) (selector, error) {
	var s selector
	text, s.hour = strings.CutSuffix(strings.TrimSpace(text), "|hour")
	source, arg, hasArg := strings.Cut(text, ":")
	switch {
	case plainSources[source] && !hasArg:
		s.source = source
	case argSources[source] && hasArg && arg != "":
		s.source, s.arg = source, arg
	default:
		return s, fmt.Errorf("%q is not a selector: write path:N, body:a.b, response:a.b, query:name, header:Name, responseHeader:Name, client, partner, credential, status or url, optionally followed by |hour", text)
	}
	if s.source == "path" {
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 || n > 64 {
			return s, fmt.Errorf("%q: a path selector numbers a segment from 1 (path:5 of /api/v1/marketplace/subscriptions/x is x)", text)
		}
		s.index = n
	}
	return s, nil
}

// value is what the selector reads from e; ok is false when e has no
// such value.
func (s selector) value(e journal.Entry) (string, bool) {
	v, ok := s.raw(e)
	if !ok || !s.hour {
		return v, ok
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return "", false
	}
	return t.UTC().Truncate(time.Hour).Format("2006-01-02T15Z"), true
}

func (s selector) raw(e journal.Entry) (string, bool) {
	switch s.source {
	case "path":
		segs := strings.Split(e.Path, "/")
		if s.index >= len(segs) || segs[s.index] == "" {
			return "", false
		}
		v, err := url.PathUnescape(segs[s.index])
		if err != nil {
			return segs[s.index], true
		}
		return v, true
	case "body":
		return jsonMember(e.Request.Body, s.arg)
	case "response":
		return jsonMember(e.Response.Body, s.arg)
	case "query":
		q, err := url.ParseQuery(e.Query)
		if err != nil || !q.Has(s.arg) {
			return "", false
		}
		return q.Get(s.arg), true
	case "header":
		return headerValue(e.Request, s.arg)
	case "responseHeader":
		return headerValue(e.Response, s.arg)
	case "client":
		return e.Client, e.Client != ""
	case "partner":
		return e.Partner, e.Partner != ""
	case "credential":
		return e.Credential, e.Credential != ""
	case "status":
		return strconv.Itoa(e.Status), true
	case "url":
		return e.URL, e.URL != ""
	}
	return "", false
}

func headerValue(m journal.Message, name string) (string, bool) {
	for k, vs := range m.Headers {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0], true
		}
	}
	return "", false
}

// jsonMember is the member at the dotted path of a JSON object body, as
// text: a string as it is, any other value as JSON writes it.
func jsonMember(body, path string) (string, bool) {
	if body == "" {
		return "", false
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return "", false
	}
	for _, name := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		if v, ok = obj[name]; !ok {
			return "", false
		}
	}
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	default:
		b, err := json.Marshal(x)
		return string(b), err == nil
	}
}

// keySpec is a key made of one or more selectors, written comma-separated:
// "body:resourceId, body:dimension, body:effectiveStartTime|hour".
type keySpec []selector

func parseKey(text string) (keySpec, error) {
	var k keySpec
	for _, part := range strings.Split(text, ",") {
		s, err := parseSelector(part)
		if err != nil {
			return nil, err
		}
		k = append(k, s)
	}
	return k, nil
}

// value joins the selectors' values with " / "; ok is false when any of
// them is missing, so that an entry without the key is never grouped
// with another.
func (k keySpec) value(e journal.Entry) (string, bool) {
	if len(k) == 0 {
		return "", false
	}
	parts := make([]string, len(k))
	for i, s := range k {
		v, ok := s.value(e)
		if !ok {
			return "", false
		}
		parts[i] = v
	}
	return strings.Join(parts, " / "), true
}

// canonicalJSON is body with its object members sorted and its spacing
// removed, so that two bodies that mean the same compare equal; without
// drop members (dotted paths) removed. A body that is not JSON is
// returned as it is.
func canonicalJSON(body string, drop ...string) string {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return body
	}
	for _, path := range drop {
		removeMember(v, strings.Split(path, "."))
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return body
	}
	return strings.TrimSpace(b.String())
}

func removeMember(v any, path []string) {
	obj, ok := v.(map[string]any)
	if !ok || len(path) == 0 {
		return
	}
	if len(path) == 1 {
		delete(obj, path[0])
		return
	}
	removeMember(obj[path[0]], path[1:])
}
