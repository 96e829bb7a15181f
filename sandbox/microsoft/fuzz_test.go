package microsoft_test

import (
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/spec"
)

// FuzzFulfillment sends arbitrary methods, paths, queries, content types,
// marketplace tokens and bodies to the fulfillment API, each on a fresh
// sandbox holding an active 5-seat subscription ({id} in the path), a
// purchased one awaiting activation ({pending}) and its landing-page
// token ({token} in x-ms-marketplace-token), so that an input that fails
// fails again on its own. It checks that:
//   - no answer is a 5xx; every error is the envelope (code, message,
//     target, details) with its code's status, and every answer to an
//     operation the OpenAPI document declares matches it (env.conform);
//   - the query is read as Microsoft reads it, pairs split on '&' only and
//     a ';' kept in its value (here: url.ParseQuery once every ';' is
//     escaped): api-version is refused exactly when that reading does not
//     find one api-version=2018-08-31, and a bad %-escape is 400 "query";
//   - a quantity is read exactly: math/big's reading of the literal
//     decides whether a refusal may say it is not a whole number, above
//     the plan's maximum, below its minimum, or a whole number in range,
//     and a 2xx PATCH or activation must have had a whole number in range.
func FuzzFulfillment(f *testing.F) {
	e := newEnv(f)
	seats := planOf(f, e, "team-seats")
	const ctJSON = "application/json"
	for _, seed := range []struct{ method, path, query, contentType, token, body string }{
		{"GET", "/{id}", "api-version=2018-08-31", "", "", ""},
		{"PATCH", "/{id}", "api-version=2018-08-31", ctJSON, "", `{"quantity":7}`},
		{"PATCH", "/{id}", "api-version=2018-08-31", ctJSON, "", `{"planId":"basic","quantity":1}`},
		{"POST", "/resolve", "api-version=2018-08-31", "", "{token}", ""},
		{"POST", "/resolve", "api-version=2018-08-31", "", "a+b/c==", ""},
		{"POST", "/{pending}/activate", "api-version=2018-08-31", ctJSON, "", `{"planId":"team-seats","quantity":5}`},
		{"POST", "/{pending}/activate", "api-version=2018-08-31", ctJSON, "", `{"planId":null}`},
		{"GET", "", "api-version=2018-08-31&continuationToken=MTA6Y29udG9zbw.x", "", "", ""},
		{"PATCH", "/{id}/operations/x", "api-version=2018-08-31", ctJSON, "", `{"status":1e400}`},
		{"DELETE", "/{id}", "api-version=%zz", "", "", ""},
		// The query reader: a ';' is part of a value, never a separator.
		{"GET", "/{id}", "api-version=2018-08-31;x=1", "", "", ""},
		{"GET", "/{id}", "x=1;api-version=2018-08-31", "", "", ""},
		{"GET", "/{id}/listAvailablePlans", "api-version=2018-08-31&planId=team-seats;basic", "", "", ""},
		{"GET", "", "continuationToken=a;b&api-version=2018-08-31&api-version=2018-08-31", "", "", ""},
		{"GET", "/{id}", "api%2Dversion=2018-08-31&a%3Bb=%3B", "", "", ""},
		// Quantities read exactly, in every spelling of a JSON number.
		{"PATCH", "/{id}", "api-version=2018-08-31", ctJSON, "", `{"quantity":9007199254740993}`},
		{"PATCH", "/{id}", "api-version=2018-08-31", ctJSON, "", `{"quantity":100.000}`},
		{"PATCH", "/{id}", "api-version=2018-08-31", ctJSON, "", `{"quantity":1000e-1}`},
		{"PATCH", "/{id}", "api-version=2018-08-31", ctJSON, "", `{"quantity":-0}`},
		{"PATCH", "/{id}", "api-version=2018-08-31", ctJSON, "", `{"quantity":0.0000000000000000000001e22}`},
		{"PATCH", "/{id}", "api-version=2018-08-31", ctJSON, "", `{"quantity":1E+999999999999999999999}`},
		{"PATCH", "/{id}", "api-version=2018-08-31", ctJSON, "", `{"quantity":1.00000000000000000001}`},
		{"PATCH", "/{id}", "api-version=2018-08-31", ctJSON + "; charset=UTF-8", "", `{"quantity":"7"}`},
		{"POST", "/{pending}/activate", "api-version=2018-08-31", ctJSON, "", `{"planId":"team-seats","quantity":50e-1}`},
		{"POST", "/{pending}/activate", "api-version=2018-08-31", ctJSON, "", `{"planId":"team-seats","quantity":-1e30}`},
	} {
		f.Add(seed.method, seed.path, seed.query, seed.contentType, seed.token, seed.body)
	}
	f.Fuzz(func(t *testing.T, method, path, query, contentType, token, body string) {
		switch method {
		case "GET", "POST", "PATCH", "DELETE":
		default:
			return
		}
		if strings.ContainsAny(path+query, " #\x00\r\n") || strings.Contains(path, "..") || strings.ContainsAny(token+contentType, "\r\n\x00") {
			return
		}
		e.t = t
		e.clock.Quiesce(e.m.Reset)
		id := e.subscribed("team-seats", map[string]any{"quantity": 5})
		pending := e.purchase(map[string]any{"offerId": "contoso-analytics", "planId": "team-seats", "quantity": 5})
		landing, _ := url.QueryUnescape(pending.body["token"].(string))
		path = strings.NewReplacer("{id}", id, "{pending}", pending.body["subscriptionId"].(string)).Replace(path)
		target := "/api/saas/subscriptions" + path + "?" + query
		if _, err := url.ParseRequestURI(e.srv.URL + target); err != nil {
			return
		}
		h := e.as(0)
		h["Content-Type"] = contentType
		if token != "" {
			h[microsoft.HeaderMarketplaceToken] = strings.ReplaceAll(token, "{token}", landing)
		}
		r, sent := e.send(method, target, h, body)
		if !sent {
			return // net/http would not send it (a header value it refuses)
		}
		checkFulfillmentAnswer(t, r, method+" "+target+" "+strconv.Quote(body))
		checkQueryReading(t, r, query)
		accepting := r.status < 300 && (method == "PATCH" && path == "/"+id || method == "POST" && strings.HasSuffix(path, "/activate"))
		checkQuantityReading(t, r, readQuantity(body, seats), accepting)
	})
}

// send is env.do for any request: only an operation the document
// declares is held to it (an unknown path's 404 and a wrong method's 405
// have no operation to be checked against). sent is false when net/http
// refused to send the request.
func (e *env) send(method, target string, header map[string]string, body string) (r reply, sent bool) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+target, strings.NewReader(body))
	if err != nil {
		return r, false
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return r, false
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r = reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	if specDeclares(method, req.URL.EscapedPath()) {
		e.conform(req, []byte(body), resp, raw)
	}
	return r, true
}

// specOperations are the document's operations: a path pattern (each
// {parameter} one segment) and its methods.
var specOperations = func() map[*regexp.Regexp][]string {
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(spec.YAML, &doc); err != nil {
		panic(err)
	}
	out := map[*regexp.Regexp][]string{}
	for path, ops := range doc.Paths {
		segments := strings.Split(path, "/")
		for i, seg := range segments {
			if segments[i] = regexp.QuoteMeta(seg); strings.HasPrefix(seg, "{") {
				segments[i] = `[^/]+`
			}
		}
		re := regexp.MustCompile("^/api" + strings.Join(segments, "/") + "$")
		for method := range ops {
			out[re] = append(out[re], strings.ToUpper(method))
		}
	}
	return out
}()

func specDeclares(method, path string) bool {
	for re, methods := range specOperations {
		if re.MatchString(path) && slices.Contains(methods, method) {
			return true
		}
	}
	return false
}

// planOf finds a plan of the default fixtures' contoso-analytics offer.
func planOf(t testing.TB, e *env, planID string) [2]int64 {
	t.Helper()
	for _, o := range e.fx.Offers {
		for _, p := range o.Plans {
			if o.OfferID == "contoso-analytics" && p.PlanID == planID {
				return [2]int64{int64(p.MinQuantity), int64(p.MaxQuantity)}
			}
		}
	}
	t.Fatalf("no plan %s", planID)
	return [2]int64{}
}

// checkFulfillmentAnswer: never a 5xx, and every 4xx is the envelope with
// its code's own status.
func checkFulfillmentAnswer(t *testing.T, r reply, call string) {
	t.Helper()
	if r.status >= 500 {
		t.Fatalf("%s: %d %s", call, r.status, r.raw)
	}
	if r.status < 400 {
		return
	}
	code, _ := r.body["code"].(string)
	_, hasMessage := r.body["message"].(string)
	_, hasTarget := r.body["target"].(string)
	_, hasDetails := r.body["details"].([]any)
	status := microsoft.Code(code).Status()
	if code == "EntityNotFound" && r.status == http.StatusBadRequest {
		status = r.status // the observed 400 for an unknown entity (wireCode)
	}
	if !hasMessage || !hasTarget || !hasDetails || status != r.status {
		t.Fatalf("%s: %d, not the envelope of its code: %s", call, r.status, r.raw)
	}
}

// checkQueryReading compares the answer with url.ParseQuery's reading of
// the query once each ';' is escaped, which is ASP.NET's reading.
func checkQueryReading(t *testing.T, r reply, rawQuery string) {
	t.Helper()
	q, err := url.ParseQuery(strings.ReplaceAll(rawQuery, ";", "%3B"))
	versionOK := err == nil && len(q["api-version"]) == 1 && q.Get("api-version") == microsoft.APIVersion
	got, _ := r.body["target"].(string)
	switch {
	case got == "query" && err == nil:
		t.Fatalf("query %q reads well, but was refused: %s", rawQuery, r.raw)
	case got == "api-version" && (versionOK || err != nil):
		t.Fatalf("query %q (api-version %q, err %v) was refused for its api-version: %s", rawQuery, q["api-version"], err, r.raw)
	case r.status < 300 && !versionOK:
		t.Fatalf("query %q (api-version %q, err %v) was accepted: %d %s", rawQuery, q["api-version"], err, r.status, r.raw)
	}
}

// What a body's top-level quantity is, by math/big: absent (or not a
// JSON object), not a whole number, or a whole number below, in or above
// the plan's range.
const (
	quantityAbsent = "absent"
	notWhole       = "not a whole number"
	belowRange     = "below the minimum"
	inRange        = "in range"
	aboveRange     = "above the maximum"
)

// readQuantity reads body's quantity independently of the sandbox.
func readQuantity(body string, limits [2]int64) string {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if dec.Decode(&obj) != nil || obj["quantity"] == nil {
		return quantityAbsent
	}
	n, ok := obj["quantity"].(json.Number)
	if !ok {
		return notWhole
	}
	v, whole := exactValue(string(n))
	switch {
	case !whole:
		return notWhole
	case v.Cmp(big.NewInt(limits[0])) < 0:
		return belowRange
	case v.Cmp(big.NewInt(limits[1])) > 0:
		return aboveRange
	}
	return inRange
}

// exactValue is a JSON number literal as an integer, if it is one. An
// exponent much longer than the literal decides alone (a whole number of
// more digits than any plan's maximum, or a fraction), so that math/big
// never expands 1e999999999.
func exactValue(lit string) (*big.Int, bool) {
	mantissa, exponent, _ := strings.Cut(strings.ToLower(lit), "e")
	zero := strings.Trim(mantissa, "-0.") == ""
	if e, err := strconv.ParseInt(exponent, 10, 64); exponent != "" && (err != nil || e > int64(len(lit))+20 || e < -int64(len(lit))-20) {
		switch {
		case zero:
			return big.NewInt(0), true
		case strings.HasPrefix(exponent, "-"):
			return nil, false
		}
		huge := new(big.Int).Exp(big.NewInt(10), big.NewInt(30), nil)
		if strings.HasPrefix(mantissa, "-") {
			huge.Neg(huge)
		}
		return huge, true
	}
	r, ok := new(big.Rat).SetString(lit)
	if !ok || !r.IsInt() {
		return nil, false
	}
	return r.Num(), true
}

// checkQuantityReading: a refusal of the quantity says what math/big
// says it is, and an accepted PATCH or activation had one in range.
func checkQuantityReading(t *testing.T, r reply, kind string, accepting bool) {
	t.Helper()
	if accepting && kind != quantityAbsent && kind != inRange {
		t.Fatalf("a quantity %s was accepted: %d %s", kind, r.status, r.raw)
	}
	if r.body["target"] != "quantity" {
		return
	}
	message, _ := r.body["message"].(string)
	said := inRange // "already has quantity 5", "does not match the purchased quantity"
	for phrase, k := range map[string]string{"must be a whole number": notWhole, belowRange: belowRange, aboveRange: aboveRange, "is required": quantityAbsent} {
		if strings.Contains(message, phrase) {
			said = k
		}
	}
	if said != kind {
		t.Fatalf("the quantity is %s, but the answer says %q", kind, message)
	}
}
