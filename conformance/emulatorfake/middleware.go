package emulatorfake

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// supportedAPIVersion is the only api-version check-apiversion.ts takes;
// its error message names a different one (see unsupportedVersion).
const supportedAPIVersion = "2018-08-31"

type publisherKey struct{}

// publisherOf returns the partition extractPublisher chose.
func publisherOf(r *http.Request) string {
	p, _ := r.Context().Value(publisherKey{}).(string)
	return p
}

// withRequestIDs is handleRequestIds (app-wide): it echoes x-ms-requestid
// and x-ms-correlationid or makes UUIDs, and sets the CORS header of the
// app's cors() middleware, which also answers preflights with 204.
func withRequestIDs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, name := range []string{"x-ms-requestid", "x-ms-correlationid"} {
			v := r.Header.Get(name)
			if v == "" {
				v = newUUID()
			}
			w.Header().Set(name, v)
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			w.Header().Set("Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE")
			if h := r.Header.Get("Access-Control-Request-Headers"); h != "" {
				w.Header().Set("Access-Control-Allow-Headers", h)
			}
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// withFulfillmentChecks runs, for /api/saas/* only, extractPublisher and
// then checkApiVersion, in the emulator's order: a request with a broken
// token and a bad api-version gets the publisher's answer.
func (e *Emulator) withFulfillmentChecks(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(strings.ToLower(r.URL.Path), "/api/saas/") {
			next.ServeHTTP(w, r)
			return
		}
		pid, rep := e.extractPublisher(r)
		if rep == nil {
			rep = checkAPIVersion(r)
		}
		if rep != nil {
			rep.write(w)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), publisherKey{}, pid)))
	})
}

// extractPublisher imitates src/extract-publisher.ts: a bearer value is
// decoded without verification and the partition is tid+appid; without
// one, ?publisherId= or the configured default.
func (e *Emulator) extractPublisher(r *http.Request) (string, *reply) {
	auth := r.Header.Get("Authorization")
	if token, ok := strings.CutPrefix(auth, "Bearer "); ok {
		claims, decoded := decodeJWT(token)
		if !decoded {
			// jwt.decode returned null and reading .tid threw; Express
			// turns the throw into its 500 page.
			return "", thrown("TypeError: Cannot read properties of null (reading 'tid')")
		}
		tid, appid := claimText(claims["tid"]), claimText(claims["appid"])
		if tid == "" || appid == "" {
			return "", textAnswer(http.StatusUnauthorized, "TenantId & AppId required in token.")
		}
		return tid + appid, nil
	}
	if pid := r.URL.Query().Get("publisherId"); pid != "" {
		return pid, nil
	}
	return e.state.publisherID(), nil
}

// jwsForm is the shape jws.decode accepts before it looks inside.
var jwsForm = regexp.MustCompile(`^[a-zA-Z0-9\-_]+?\.[a-zA-Z0-9\-_]+?\.([a-zA-Z0-9\-_]+)?$`)

// decodeJWT imitates jsonwebtoken's decode: three base64url parts whose
// header is JSON; a payload that is not a JSON object decodes but carries
// no claims. ok is false where decode returns null.
func decodeJWT(token string) (claims map[string]any, ok bool) {
	if !jwsForm.MatchString(token) {
		return nil, false
	}
	parts := strings.Split(token, ".")
	header, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[0], "="))
	var h any
	if err != nil || json.Unmarshal(header, &h) != nil || h == nil {
		return nil, false
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	claims = map[string]any{}
	_ = json.Unmarshal(payload, &claims)
	return claims, true
}

// claimText is a claim as JavaScript's string concatenation would print
// it; a missing or falsy claim is "".
func claimText(v any) string {
	switch c := v.(type) {
	case nil:
		return ""
	case string:
		return c
	case bool:
		if !c {
			return ""
		}
		return "true"
	case float64:
		if c == 0 {
			return ""
		}
		return fmt.Sprint(c)
	default:
		return fmt.Sprint(c)
	}
}

// checkAPIVersion imitates src/check-apiversion.ts: exactly 2018-08-31,
// else a 400 in an envelope unlike the emulator's other errors, whose
// message names '2018-08-31.1' whatever was sent.
func checkAPIVersion(r *http.Request) *reply {
	v, present := r.URL.Query()["api-version"]
	if !present || v[0] == "" {
		return jsonAnswer(http.StatusBadRequest, map[string]any{"Error": map[string]any{
			"Code":    "ApiVersionUnspecified",
			"Message": "An API version is required, but was not specified. The supported api-version is '2018-08-31.1'.",
		}})
	}
	if v[0] != supportedAPIVersion {
		return jsonAnswer(http.StatusBadRequest, map[string]any{"Error": map[string]any{
			"Code":    "UnsupportedApiVersion",
			"Message": fmt.Sprintf("The HTTP resource does not support the API version '%s'. The supported api-version is '2018-08-31.1'.", v[0]),
		}})
	}
	return nil
}
