package gitlab

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
)

// params are the parameters of an OAuth request (token, revoke,
// introspect, or the access_token of a protected route) as the active
// profile reads them. A name Rails would hold as a list or a nested hash
// (scope[]=a, client_id[x]=b, a JSON array or number) is kept as
// "structured": reading it is an invalid_request, where Doorkeeper would
// meet a value it cannot use.
type params struct {
	values     map[string]string
	structured map[string]bool
}

func newParams() params {
	return params{values: map[string]string{}, structured: map[string]bool{}}
}

// get returns a parameter's value, "" when absent.
func (ps params) get(name string) (string, error) {
	if ps.structured[name] {
		return "", newError(CodeInvalidRequest, fmt.Sprintf("Parameter %s must be a single string, not a list, an object or a number.", name))
	}
	return ps.values[name], nil
}

// has reports whether the parameter was given at all.
func (ps params) has(name string) bool { return ps.values[name] != "" || ps.structured[name] }

// set stores a plain value, replacing whatever the name held.
func (ps params) set(name, value string) {
	ps.values[name] = value
	delete(ps.structured, name)
}

// merge lets every name of over replace the same name here: Rails builds
// params as request_parameters.merge(query_parameters), so the query
// string wins over the body (actionpack, action_dispatch/http/parameters.rb,
// Parameters#parameters).
func (ps params) merge(over params) {
	for k, v := range over.values {
		ps.set(k, v)
	}
	for k := range over.structured {
		delete(ps.values, k)
		ps.structured[k] = true
	}
}

var errUnparsable = newError(CodeInvalidRequest, descUnparsableBody)

// setRack stores one decoded pair the way Rack's QueryParser#normalize_params
// (rack 2.2, lib/rack/query_parser.rb) does: brackets before the name are
// dropped and the name ends at the first bracket; "name" or "name]" is a
// plain value (the last one given wins), "name[" a plain value under the
// whole name, and "name[]…" or "name[key]…" a list or hash. A list or hash
// after a plain value of the same name is a type error Rack refuses (400).
func (ps params) setRack(name, value string) error {
	i := 0
	for i < len(name) && (name[i] == '[' || name[i] == ']') {
		i++
	}
	j := i
	for j < len(name) && name[j] != '[' && name[j] != ']' {
		j++
	}
	key := name[i:j]
	for j < len(name) && name[j] == ']' {
		j++
	}
	switch after := name[j:]; {
	case key == "":
		return nil
	case after == "":
		ps.set(key, value)
	case after == "[":
		ps.set(name, value)
	default:
		if _, plain := ps.values[key]; plain {
			return newError(CodeInvalidRequest, fmt.Sprintf("Parameter %s is given both as a value and as a list or hash.", key))
		}
		ps.structured[key] = true
	}
	return nil
}

// addRackPairs decodes a query string or form body as Rack does: pairs
// split on '&' (and on ';' in a query string, Rack's DEFAULT_SEP), spaces
// after a separator skipped, '+' a space, and a bad %-escape refused.
func (ps params) addRackPairs(text string, semicolons bool) error {
	seps := "&"
	if semicolons {
		seps = "&;"
	}
	for text != "" {
		pair := text
		if i := strings.IndexAny(text, seps); i >= 0 {
			pair, text = text[:i], strings.TrimLeft(text[i+1:], " ")
		} else {
			text = ""
		}
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		name, err1 := url.QueryUnescape(k)
		value, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return errUnparsable
		}
		if err := ps.setRack(name, value); err != nil {
			return err
		}
	}
	return nil
}

// railsParams reads r's parameters as a Rails application behind
// Doorkeeper sees them: the body (a form, also when a POST has no
// Content-Type, as Rack's form_data? says; a JSON object; or
// multipart/form-data), then the query string over it.
func railsParams(r *http.Request, body []byte) (params, error) {
	ps := newParams()
	mediaType, mediaParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	switch {
	case len(body) == 0:
	case mediaType == "application/x-www-form-urlencoded",
		mediaType == "" && r.Header.Get("Content-Type") == "" && r.Method == http.MethodPost:
		err = ps.addRackPairs(string(body), false)
	case mediaType == "application/json":
		err = ps.addJSON(body)
	case mediaType == "multipart/form-data":
		err = ps.addMultipart(body, mediaParams["boundary"])
	}
	if err != nil {
		return ps, err
	}
	query := newParams()
	if err := query.addRackPairs(r.URL.RawQuery, true); err != nil {
		return ps, err
	}
	ps.merge(query)
	return ps, nil
}

// addJSON reads a JSON body's members: strings as values, anything else as
// structured. A body that is not an object adds nothing (Rails puts it
// under _json); one that is not JSON is refused.
func (ps params) addJSON(body []byte) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return errUnparsable
	}
	m, _ := v.(map[string]any)
	for k, val := range m {
		if s, ok := val.(string); ok {
			ps.set(k, s)
		} else {
			delete(ps.values, k)
			ps.structured[k] = true
		}
	}
	return nil
}

// addMultipart reads a multipart/form-data body, which Rack parses too;
// a file part is structured.
func (ps params) addMultipart(body []byte, boundary string) error {
	if boundary == "" {
		return errUnparsable
	}
	form, err := multipart.NewReader(bytes.NewReader(body), boundary).ReadForm(int64(len(body)) + 1<<10)
	if err != nil {
		return errUnparsable
	}
	defer func() { _ = form.RemoveAll() }()
	for k, vs := range form.Value {
		for _, v := range vs {
			if err := ps.setRack(k, v); err != nil {
				return err
			}
		}
	}
	for k := range form.File {
		ps.structured[k] = true
		delete(ps.values, k)
	}
	return nil
}

// strictParams reads r's parameters by RFC 6749: only an
// application/x-www-form-urlencoded body (§4.4.2, RFC 7009 §2.1, RFC 7662
// §2.1), each parameter at most once (§3.2), an empty value as if it were
// absent (§3.1), and no client credentials in the URI (§2.3.1).
func strictParams(r *http.Request, body []byte) (params, error) {
	ps := newParams()
	q := r.URL.Query()
	for _, name := range []string{"client_id", "client_secret"} {
		if q.Has(name) {
			return ps, newError(CodeInvalidRequest, "Client credentials must not be sent in the request URI (RFC 6749 §2.3.1).")
		}
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if len(body) == 0 {
		return ps, nil
	}
	if mediaType != "application/x-www-form-urlencoded" {
		return ps, newError(CodeInvalidRequest, "The strict profile accepts only application/x-www-form-urlencoded bodies.")
	}
	for pair := range strings.SplitSeq(string(body), "&") {
		k, v, _ := strings.Cut(pair, "=")
		name, err1 := url.QueryUnescape(k)
		value, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return ps, errUnparsable
		}
		if name == "" || value == "" {
			continue
		}
		if _, twice := ps.values[name]; twice {
			return ps, newError(CodeInvalidRequest, fmt.Sprintf("Parameter %s is given more than once (RFC 6749 §3.2).", name))
		}
		ps.values[name] = value
	}
	return ps, nil
}

// readParams reads the parameters of an OAuth endpoint in the active
// profile, the body bounded by gitlab.max_body_bytes.
func (p *Portal) readParams(r *http.Request) (params, error) {
	body, err := readBody(r, p.settings.MaxBodyBytes)
	if err != nil {
		return newParams(), err
	}
	if p.settings.TokenProfile == ProfileStrict {
		return strictParams(r, body)
	}
	return railsParams(r, body)
}
