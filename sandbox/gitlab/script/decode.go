package script

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/openapi"
)

// maxDelay bounds every scripted duration: beyond a year a script is a typo.
const maxDelay = 365 * 24 * time.Hour

// idPattern keeps ids usable in a URL path without escaping.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Decode reads a script from JSON strictly and reports every problem at
// once: unknown fields (anywhere), values of the wrong type and values out
// of range, each with its field path. knownPartner says whether a partner
// id exists.
func Decode(body []byte, knownPartner func(string) bool) (Script, []openapi.FieldError) {
	var s Script
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return s, []openapi.FieldError{{Field: "script", Message: "the script must be a JSON object"}}
	}
	var errs []openapi.FieldError
	sections := map[string]map[string]any{
		"zuora":        {"error": &s.Zuora.Error, "latency": &s.Zuora.Latency, "timeout": &s.Zuora.Timeout, "decline": &s.Zuora.Decline},
		"salesforce":   {"error": &s.Salesforce.Error, "latency": &s.Salesforce.Latency},
		"callout":      {"delay": &s.Callout.Delay, "drop": &s.Callout.Drop, "duplicate": &s.Callout.Duplicate, "reorder": &s.Callout.Reorder, "failTimes": &s.Callout.FailTimes, "auth": &s.Callout.Auth, "manual": &s.Callout.Manual},
		"provisioning": {"error": &s.Provisioning.Error},
		"license":      {"bounce": &s.License.Bounce},
	}
	scalars := map[string]any{"id": &s.ID, "partner": &s.Partner, "externalSubscriptionId": &s.ExternalSubscriptionID}
	for _, key := range sortedKeys(top) {
		raw := top[key]
		if target, ok := scalars[key]; ok {
			errs = append(errs, decodeField(key, raw, target)...)
			continue
		}
		fields, ok := sections[key]
		if !ok {
			errs = append(errs, unknown(key, "id, partner, externalSubscriptionId, zuora, salesforce, callout, provisioning, license"))
			continue
		}
		errs = append(errs, decodeSection(key, raw, fields)...)
	}
	errs = append(errs, checkValues(s, knownPartner)...)
	if len(errs) == 0 {
		errs = checkEffect(s)
	}
	return s, sortByField(errs)
}

func decodeSection(name string, raw json.RawMessage, fields map[string]any) []openapi.FieldError {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return []openapi.FieldError{{Field: name, Message: "must be an object"}}
	}
	var errs []openapi.FieldError
	for _, key := range sortedKeys(obj) {
		target, ok := fields[key]
		if !ok {
			errs = append(errs, unknown(name+"."+key, knownList(fields)))
			continue
		}
		errs = append(errs, decodeField(name+"."+key, obj[key], target)...)
	}
	return errs
}

func decodeField(path string, raw json.RawMessage, target any) []openapi.FieldError {
	if err := json.Unmarshal(raw, target); err != nil {
		kind := "a string"
		switch target.(type) {
		case *bool:
			kind = "true or false"
		case *int:
			kind = "a whole number"
		}
		return []openapi.FieldError{{Field: path, Message: "must be " + kind}}
	}
	return nil
}

func unknown(path, known string) openapi.FieldError {
	return openapi.FieldError{Field: path, Message: "unknown field; known fields here: " + known}
}

func knownList(fields map[string]any) string {
	out := ""
	for i, k := range sortedKeys(fields) {
		if i > 0 {
			out += ", "
		}
		out += k
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Validate checks the values of a decoded script (from JSON or from the
// configuration file) and lists every problem.
func Validate(s Script, knownPartner func(string) bool) []openapi.FieldError {
	return sortByField(append(checkValues(s, knownPartner), checkEffect(s)...))
}

func checkValues(s Script, knownPartner func(string) bool) []openapi.FieldError {
	var errs []openapi.FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, openapi.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if s.ID != "" && (!idPattern.MatchString(s.ID) || s.ID == "." || s.ID == "..") {
		// "." and ".." would be resolved away as dot segments of
		// /_sandbox/gitlab/scripts/{id}.
		bad("id", "must be 1 to 64 letters, digits, '.', '_' or '-', and not \".\" or \"..\" (a path reads those as dot segments)")
	}
	if s.Partner != "" && !knownPartner(s.Partner) {
		bad("partner", "no partner %q exists (see GET /_sandbox/gitlab/fixtures)", s.Partner)
	}
	if s.ExternalSubscriptionID != "" && s.Partner == "" {
		bad("externalSubscriptionId", "needs partner: external ids are unique only within one partner")
	}
	for field, text := range map[string]string{"zuora.latency": s.Zuora.Latency, "salesforce.latency": s.Salesforce.Latency, "callout.delay": s.Callout.Delay} {
		if text == "" {
			continue
		}
		if d, err := time.ParseDuration(text); err != nil || d < 0 || d > maxDelay {
			bad(field, "%q is not a duration between 0s and 8760h, such as 90s, 5m or 2h", text)
		}
	}
	if s.Callout.Duplicate < 0 || s.Callout.Duplicate > 10 {
		bad("callout.duplicate", "must be 0 to 10 extra copies")
	}
	if s.Callout.FailTimes < 0 || s.Callout.FailTimes > 10 {
		bad("callout.failTimes", "must be 0 to 10")
	}
	if a := s.Callout.Auth; a != "" && a != "challenge" && a != "preemptive" {
		bad("callout.auth", "%q is not challenge or preemptive", a)
	}
	return append(errs, contradictions(s)...)
}

// checkEffect refuses a script that changes nothing: it is a mistake, such
// as an effect misspelt at the top level.
func checkEffect(s Script) []openapi.FieldError {
	if (s != Script{ID: s.ID, Partner: s.Partner, ExternalSubscriptionID: s.ExternalSubscriptionID}) {
		return nil
	}
	return []openapi.FieldError{{Field: "script", Message: "the script has no effect: set at least one of zuora, salesforce, callout, provisioning or license"}}
}

func sortByField(errs []openapi.FieldError) []openapi.FieldError {
	slices.SortStableFunc(errs, func(a, b openapi.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return errs
}
