package fault

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/pathpattern"
)

// API is a marketplace the fault layer can fault. Statuses are the error
// statuses it has an envelope code for; Identify and WriteFault come from
// the marketplace (for GitLab, Portal.Identify and Portal.WriteFault).
type API struct {
	Name     string
	Statuses []int
	// Identify names the partner and OAuth client behind a request, before
	// the handler runs; it is only called when a rule matches on them.
	Identify func(r *http.Request) (partner, client string)
	// WriteFault answers status in the marketplace's error envelope.
	WriteFault func(w http.ResponseWriter, r *http.Request, status int, message string)
	// Partners and Clients are the partner and OAuth client ids the
	// marketplace knows; a rule matching on another is refused, as it
	// could never fire. Nil leaves that unchecked.
	Partners, Clients []string
}

// Problem is one thing wrong with a rule, named by its JSON field path.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// maxDelay bounds a configured delay; longer waits are what hang is for.
const maxDelay = time.Hour

// Validate lists every problem of r against the marketplaces apis; an
// empty list means the rule is good.
func Validate(r Rule, apis []API) []Problem {
	v := &validator{}
	v.identity(r, apis)
	v.match(r.Match)
	v.known(r.Match, r.API, apis)
	v.effect(r.Effect, statusesFor(r.API, apis))
	v.schedule(r.Schedule)
	return v.problems
}

type validator struct{ problems []Problem }

func (v *validator) add(field, format string, args ...any) {
	v.problems = append(v.problems, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) identity(r Rule, apis []API) {
	if r.ID != "" && !validID(r.ID) {
		v.add("id", "must be 1 to 64 letters, digits, '-', '_' or '.', and not \".\" or \"..\" (a path reads those as dot segments)")
	}
	if r.API == "" {
		return
	}
	names := make([]string, len(apis))
	for i, a := range apis {
		names[i] = a.Name
	}
	if !slices.Contains(names, r.API) {
		v.add("api", "%q is not a marketplace of this sandbox (%s); the /_sandbox control API cannot be faulted", r.API, strings.Join(names, ", "))
	}
}

// validID keeps ids usable as one path segment of /_sandbox/faults/{id}
// without escaping; "." and ".." would be resolved away as dot segments
// (normalizePath) and name the listing instead.
func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 || id == "." || id == ".." {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func (v *validator) match(m Match) {
	if m.Method != "" && (strings.ToUpper(m.Method) != m.Method || strings.ContainsAny(m.Method, " /\t")) {
		v.add("match.method", "%q is not an upper-case HTTP method such as GET or POST", m.Method)
	}
	if m.Path != "" {
		if _, err := pathpattern.Parse(m.Path); err != nil {
			v.add("match.path", "%q %v", m.Path, err)
		} else if m.Path == "/_sandbox" || strings.HasPrefix(m.Path, "/_sandbox/") {
			v.add("match.path", "the /_sandbox control API can never be faulted")
		}
	}
	for name := range m.Headers {
		if strings.TrimSpace(name) == "" || strings.ContainsAny(name, " :\t") {
			v.add("match.headers", "%q is not a header name", name)
		}
	}
}

// known refuses a partner or client that none of the rule's marketplaces
// knows: a typo would otherwise make a rule that silently never fires.
func (v *validator) known(m Match, api string, apis []API) {
	check := func(field, value, what string, ids func(API) []string) {
		if value == "" {
			return
		}
		var all []string
		for _, a := range apis {
			if api != "" && a.Name != api {
				continue
			}
			if ids(a) == nil {
				return // this marketplace does not say
			}
			all = append(all, ids(a)...)
		}
		if len(all) > 0 && !slices.Contains(all, value) {
			slices.Sort(all)
			v.add(field, "%q is not a %s of this sandbox (%s)", value, what, strings.Join(slices.Compact(all), ", "))
		}
	}
	check("match.partner", m.Partner, "partner", func(a API) []string { return a.Partners })
	check("match.client", m.Client, "client id", func(a API) []string { return a.Clients })
}

func statusesFor(api string, apis []API) []int {
	var out []int
	for _, a := range apis {
		if api == "" || a.Name == api {
			out = append(out, a.Statuses...)
		}
	}
	return out
}

func (v *validator) effect(e Effect, statuses []int) {
	if e.Status == 0 && e.Latency == nil && e.Transport == "" {
		v.add("effect", "give at least one of status, latency or transport")
	}
	if e.Status != 0 && !slices.Contains(statuses, e.Status) {
		slices.Sort(statuses)
		v.add("effect.status", "%d is not an error status with a code in the vendor's envelope (one of %v)", e.Status, slices.Compact(statuses))
	}
	if e.Status != 0 && e.Transport != "" {
		v.add("effect", "give status or transport, not both")
	}
	if e.Status == 0 && e.Message != "" {
		v.add("effect.message", "only an effect with a status has a message")
	}
	if e.RetryAfter != nil {
		if e.Status == 0 {
			v.add("effect.retryAfter", "only an effect with a status has a Retry-After")
		} else if *e.RetryAfter < 0 || time.Duration(*e.RetryAfter) > maxDelay {
			v.add("effect.retryAfter", "must be between 0s and 1h")
		}
	}
	if e.Transport != "" && !slices.Contains(transports, e.Transport) {
		v.add("effect.transport", "%q is not one of %v", e.Transport, transports)
	}
	if e.Latency != nil {
		v.latency(*e.Latency)
	}
}

func (v *validator) latency(l Latency) {
	set := 0
	inRange := func(field string, d Duration) {
		if d < 0 || time.Duration(d) > maxDelay {
			v.add(field, "must be between 0s and 1h")
		}
	}
	if l.Fixed != nil {
		set++
		inRange("effect.latency.fixed", *l.Fixed)
	}
	if u := l.Uniform; u != nil {
		set++
		inRange("effect.latency.uniform.min", u.Min)
		inRange("effect.latency.uniform.max", u.Max)
		if u.Max < u.Min {
			v.add("effect.latency.uniform", "max must not be less than min")
		}
	}
	if ln := l.LogNormal; ln != nil {
		set++
		if ln.Median <= 0 || time.Duration(ln.Median) > maxDelay {
			v.add("effect.latency.logNormal.median", "must be more than 0s and at most 1h")
		}
		if ln.Sigma < 0 || ln.Sigma > 5 || math.IsNaN(ln.Sigma) {
			v.add("effect.latency.logNormal.sigma", "must be between 0 and 5")
		}
	}
	if set != 1 {
		v.add("effect.latency", "give exactly one of fixed, uniform or logNormal")
	}
}

func (v *validator) schedule(s Schedule) {
	if s.Times < 0 {
		v.add("schedule.times", "must not be negative")
	}
	if s.Every < 0 {
		v.add("schedule.every", "must not be negative")
	}
	if p := s.Probability; p != nil && (*p < 0 || *p > 1 || math.IsNaN(*p)) {
		v.add("schedule.probability", "must be between 0 and 1")
	}
	from, fromErr := parseBound(s.From, time.Time{})
	until, untilErr := parseBound(s.Until, time.Time{})
	if fromErr != nil {
		v.add("schedule.from", "%v", fromErr)
	}
	if untilErr != nil {
		v.add("schedule.until", "%v", untilErr)
	}
	relative := strings.HasPrefix(s.From, "+") == strings.HasPrefix(s.Until, "+")
	if fromErr == nil && untilErr == nil && s.From != "" && s.Until != "" && relative && !until.After(from) {
		v.add("schedule.until", "must be after from")
	}
}

// parseBound reads a window bound: "" (open), "+10m" after created, or an
// RFC 3339 time.
func parseBound(text string, created time.Time) (time.Time, error) {
	switch {
	case text == "":
		return time.Time{}, nil
	case strings.HasPrefix(text, "+"):
		d, err := time.ParseDuration(text[1:])
		if err != nil || d < 0 {
			return time.Time{}, fmt.Errorf("%q is not +<duration> such as +10m", text)
		}
		return created.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time or +<duration> such as +10m", text)
	}
	return t, nil
}
