package microsoft

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/subscription"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/requestid"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/strictjson"
)

// APIVersion is the only api-version of the SaaS Fulfillment API v2.
const APIVersion = "2018-08-31"

// Headers of the fulfillment API (docs/microsoft.md §1, §4).
const (
	HeaderRequestID        = "x-ms-requestid"
	HeaderCorrelationID    = "x-ms-correlationid"
	HeaderMarketplaceToken = "x-ms-marketplace-token"
)

// The same two in net/http's canonical form, as a header map keys them.
var (
	canonicalRequestID     = http.CanonicalHeaderKey(HeaderRequestID)
	canonicalCorrelationID = http.CanonicalHeaderKey(HeaderCorrelationID)
)

// caller is the publisher a fulfillment API call authenticated as.
type caller struct {
	publisher fixtures.Publisher
	principal Principal
}

// apiFunc is a fulfillment API handler that returns its error.
type apiFunc func(w http.ResponseWriter, r *http.Request, c caller) error

// api adapts an apiFunc: it echoes or makes the request and correlation
// ids, checks api-version, then the token (docs/microsoft.md §1), and
// renders any error in the fulfillment API's envelope.
func (m *Marketplace) api(h apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		echoIDs(w, r)
		err := checkAPIVersion(r)
		var c caller
		if err == nil {
			c, err = m.authenticate(r)
		}
		if err == nil {
			journal.Identify(w, c.publisher.ID, c.principal.AppID)
			m.sweep()
			err = h(w, r, c)
		}
		if err != nil {
			writeError(w, r, m.log, err)
		}
	})
}

// echoIDs answers the caller's x-ms-requestid and x-ms-correlationid, or
// fresh GUIDs when it sent none (or something unsafe to echo). The
// request id is the one the sandbox files the request under (package
// requestid read it from x-ms-requestid, or made it, and has answered
// it), so the journal, the logs and the answer agree.
func echoIDs(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	id := requestid.From(r.Context())
	if id == "" {
		id = r.Header.Get(canonicalRequestID)
	}
	if set := h[canonicalRequestID]; len(set) != 1 || set[0] != id {
		if !requestid.Acceptable(id) {
			id = subscription.NewID()
		}
		h[canonicalRequestID] = []string{id}
	}
	id = r.Header.Get(canonicalCorrelationID)
	if !requestid.Acceptable(id) {
		id = subscription.NewID()
	}
	h[canonicalCorrelationID] = []string{id}
}

// checkAPIVersion: every call names api-version=2018-08-31 (docs/microsoft.md §1).
func checkAPIVersion(r *http.Request) error {
	versions, err := queryValues(r, "api-version")
	if err != nil {
		return err
	}
	switch {
	case len(versions) == 0 || versions[0] == "":
		return newError(CodeAPIVersionUnspecified, "api-version", "The api-version query parameter (?api-version=) is required for all requests.")
	case len(versions) > 1 || versions[0] != APIVersion:
		msg := fmt.Sprintf("Unsupported api-version '%s'. The supported api-versions are '%s'.", strings.Join(versions, ","), APIVersion)
		if strings.Contains(versions[0], ";") {
			msg += " A ';' does not separate query parameters: separate them with '&'."
		}
		return newError(CodeUnsupportedAPIVersion, "api-version", msg)
	}
	return nil
}

// query reads the query string of a fulfillment or metering call as
// Microsoft's service does: pairs are separated by '&' only, and a ';' is
// a character of the key or value it stands in, as in ASP.NET's query
// parser and in Express's, which Microsoft's emulator runs on. Go's
// url.ParseQuery refuses a ';' (since Go 1.17) and r.URL.Query() silently
// drops the pair holding one, so neither may read these queries
// (docs/microsoft.md §1). The sandbox's middleware has already refused
// a malformed %-escape.
func query(r *http.Request) (url.Values, error) {
	out := url.Values{}
	err := queryPairs(r.URL.RawQuery, func(key, value string) { out[key] = append(out[key], value) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// queryValues are the values of one name in the query, read as query
// reads them, without building the whole map: every call reads its
// api-version this way.
func queryValues(r *http.Request, name string) ([]string, error) {
	var out []string
	err := queryPairs(r.URL.RawQuery, func(key, value string) {
		if key == name {
			out = append(out, value)
		}
	})
	return out, err
}

// queryPairs calls pair with each decoded key and value of raw, in order.
func queryPairs(raw string, pair func(key, value string)) error {
	for p := range strings.SplitSeq(raw, "&") {
		if p == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(p, "=")
		key, err1 := url.QueryUnescape(rawKey)
		value, err2 := url.QueryUnescape(rawValue)
		if err1 != nil || err2 != nil {
			return newError(CodeBadRequest, "query", "The query string is malformed: a %-escape is not two hexadecimal digits.")
		}
		pair(key, value)
	}
	return nil
}

// errForbidden is every authentication failure (docs/microsoft.md §1).
func errForbidden() error {
	return newError(CodeForbidden, "authorization", "The authentication token was not provided or is invalid, or the request is attempting to access an acquisition that does not belong to the current publisher.")
}

// authenticate finds the publisher of the request's token.
func (m *Marketplace) authenticate(r *http.Request) (caller, error) {
	if m.opts.auth == nil {
		return caller{}, errForbidden()
	}
	p, err := m.opts.auth.Authenticate(r)
	if err != nil {
		return caller{}, errForbidden()
	}
	pub, ok := m.publishers.byApp(p.TenantID, p.AppID)
	if !ok {
		return caller{}, errForbidden()
	}
	return caller{publisher: pub, principal: p}, nil
}

// owned returns the subscription of the path, if it is the caller's: an
// unknown id is 404, another publisher's subscription 403, as Microsoft's
// file documents ("an acquisition that does not belong to the current
// publisher").
func (m *Marketplace) owned(r *http.Request, c caller) (subscription.Subscription, error) {
	// Ids are GUIDs, which compare without regard to case (RFC 9562 §4);
	// the sandbox makes them in lower case.
	id := strings.ToLower(mux.Vars(r)["subscriptionId"])
	s, err := m.subs.Get(id)
	if err != nil {
		return s, m.refusalError(err, "subscriptionId")
	}
	if s.PublisherID != c.publisher.ID {
		return s, errForbidden()
	}
	return s, nil
}

// readBody reads a JSON request body of at most the configured bytes. A
// body must be labelled application/json (or a +json type, UTF-8 if a
// charset is given), as Microsoft's file declares every body and its
// ASP.NET service requires; a body labelled otherwise, or not at all, was
// not meant as JSON. It must also be JSON that reads one way only: a key
// given twice (encoding/json would keep the last without a word), invalid
// UTF-8 or nesting deeper than strictjson.MaxDepth is refused. An empty
// body is left to the caller, whose required fields refuse it.
func (m *Marketplace) readBody(r *http.Request) ([]byte, error) {
	limit := m.settings.MaxBodyBytes
	if r.ContentLength > limit {
		return nil, errTooLarge(limit)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, newError(CodeBadRequest, "body", "The request body could not be read.")
	}
	if int64(len(body)) > limit {
		return nil, errTooLarge(limit)
	}
	if len(body) == 0 {
		return body, nil
	}
	if header := r.Header.Get("Content-Type"); !jsonMediaType(header) {
		return nil, newError(CodeBadRequest, "content-type", fmt.Sprintf("The request body must be sent as application/json (UTF-8), not %s.", strconv.Quote(header)))
	}
	if err := strictjson.Check(body); err != nil {
		return nil, newError(CodeBadRequest, "body", fmt.Sprintf("The request body cannot be read as JSON: %v.", err))
	}
	return body, nil
}

// jsonMediaType: application/json or a +json type, UTF-8 if a charset is
// given. Unlike the control API, which takes curl -d's form label, the
// vendor API takes what Microsoft's service takes.
func jsonMediaType(header string) bool {
	mediaType, params, err := mime.ParseMediaType(header)
	if err != nil || (mediaType != "application/json" && !strings.HasSuffix(mediaType, "+json")) {
		return false
	}
	cs, set := params["charset"]
	return !set || strings.EqualFold(cs, "utf-8")
}

func errTooLarge(limit int64) error {
	return newError(CodeBadRequest, "body", fmt.Sprintf("The request body is larger than the limit of %d bytes.", limit))
}

// jsonObject decodes a vendor body as a JSON object, tolerating unknown
// fields as Microsoft does; a null field counts as absent.
func jsonObject(body []byte, target string) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, newError(CodeBadRequest, target, "The request body must be a JSON object.")
	}
	for k, v := range obj {
		if string(v) == "null" {
			delete(obj, k)
		}
	}
	return obj, nil
}

// stringField reads an optional string field.
func stringField(obj map[string]json.RawMessage, name, target string) (string, bool, error) {
	raw, ok := obj[name]
	if !ok {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", true, newError(CodeBadRequest, target, fmt.Sprintf("%s must be a string.", name))
	}
	return s, true, nil
}

// baseURL is the sandbox's own base URL as the request reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// notFound and methodNotAllowed answer unmatched requests in the envelope.
func (m *Marketplace) notFound(w http.ResponseWriter, r *http.Request) {
	echoIDs(w, r)
	writeError(w, r, m.log, newError(CodeNotFound, "path", "The requested resource does not exist."))
}

func (m *Marketplace) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	echoIDs(w, r)
	writeError(w, r, m.log, newError(CodeMethodNotAllowed, "method", "The method "+r.Method+" is not allowed on this resource."))
}
