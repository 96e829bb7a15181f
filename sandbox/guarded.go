package sandbox

import (
	"fmt"
	"net/http"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"

	"github.com/gorilla/mux"
)

// mountGuarded registers routes on a router of their own, tried from r
// only for a path starting with the literal part (up to the first
// variable) of one of its routes' templates: a path that starts with
// none of them cannot match any of those routes, so skipping them
// changes no answer. It returns that router, for the Allow header of a
// 405 (allowedMethods walks it).
//
// The router is reached through a matcher rather than mux's Subrouter,
// whose guard would run after it: a matcher that passes clears mux's
// record of a method mismatch seen earlier, and the guard of every
// marketplace that routes on a leading variable (Entra's /{tenantId})
// passes for every path. So the matcher keeps that record itself.
//
// Behind the guard the routes are matched segment by segment (see
// segmentRouter), as mux would match them but without its regexps.
func mountGuarded(r *mux.Router, routes func(*mux.Router)) *mux.Router {
	sub := newMarketRouter(routes)
	prefixes := literalPrefixes(sub)
	segments := newSegmentRouter(sub)
	r.NewRoute().MatcherFunc(func(req *http.Request, match *mux.RouteMatch) bool {
		path := req.URL.EscapedPath()
		if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(path, p) }) {
			return false
		}
		before := match.MatchErr
		if segments.match(req, path, match) {
			return true
		}
		if match.MatchErr == mux.ErrNotFound {
			match.MatchErr = before // no route of sub matched: as if none was tried
		}
		return false
	})
	return sub
}

// newMarketRouter is a router holding one marketplace's routes, as
// mountGuarded mounts it.
func newMarketRouter(routes func(*mux.Router)) *mux.Router {
	sub := mux.NewRouter().UseEncodedPath().SkipClean(true)
	routes(sub)
	return sub
}

// literalPrefixes are the literal starts of router's route templates, the
// shortest of any that share a start.
func literalPrefixes(router *mux.Router) []string {
	var prefixes []string
	_ = router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		if t, err := route.GetPathTemplate(); err == nil {
			p, _, _ := strings.Cut(t, "{")
			prefixes = append(prefixes, p)
		}
		return nil
	})
	slices.Sort(prefixes)
	kept := prefixes[:0]
	for _, p := range prefixes {
		if len(kept) == 0 || !strings.HasPrefix(p, kept[len(kept)-1]) {
			kept = append(kept, p)
		}
	}
	return kept
}

// segmentRouter matches a request against a router's routes as
// mux.Router.Match does: the first route, in the order they were
// registered, whose path and methods both match; a route whose path
// matches but not its methods is remembered as a method mismatch (a 405)
// unless a later route matches whole. mux matches each path with the
// route's regexp and then runs it again to take out the variables, which
// was a sixth of the time of a publisher's GET; the templates of the
// marketplaces' routes are plain segments (a literal, or one variable
// whose pattern cannot cross a '/'), so comparing segments gives the
// same answer. A route it cannot read that way is left to mux's own
// Route.Match, in its place in the order, and newSegmentRouter checks
// every route it reads against mux in the tests.
type segmentRouter struct {
	routes []segmentRoute
}

// segmentRoute is one route of the router, read from its template.
type segmentRoute struct {
	route   *mux.Route
	handler http.Handler
	// parts are the template's segments; nil when the route is left to
	// mux (opaque).
	parts   []segmentPart
	methods []string // nil: every method
}

// opaque reports whether the route is left to mux's own Route.Match.
func (r *segmentRoute) opaque() bool { return r.parts == nil }

// segmentPart is one segment of a template: a literal or a variable.
type segmentPart struct {
	literal string
	// name is the variable's name; "" for a literal.
	name string
	// pattern is the variable's own pattern, anchored to the segment; nil
	// for mux's default ([^/]+, any segment that is not empty).
	pattern *regexp.Regexp
}

// newSegmentRouter reads router's routes. That its matching agrees with
// mux's is checked by the tests (agreesWith, for every route of every
// marketplace, and a fuzz test), not here: checking every route against
// mux took 70 ms a sandbox, and the routes are the program's own.
func newSegmentRouter(router *mux.Router) *segmentRouter {
	s := &segmentRouter{}
	_ = router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		s.routes = append(s.routes, readSegmentRoute(route))
		return nil
	})
	return s
}

// readSegmentRoute reads route's template and methods; a route with a
// host or query template, or a template that is not plain segments, is
// opaque.
func readSegmentRoute(route *mux.Route) segmentRoute {
	out := segmentRoute{route: route, handler: route.GetHandler()}
	tpl, err := route.GetPathTemplate()
	if err != nil || !strings.HasPrefix(tpl, "/") {
		return out
	}
	if _, err := route.GetHostTemplate(); err == nil {
		return out
	}
	if queries, err := route.GetQueriesTemplates(); err == nil && len(queries) > 0 {
		return out // (mux gives every route an empty list of queries)
	}
	parts, ok := templateSegments(tpl[1:])
	if !ok {
		return out
	}
	if methods, err := route.GetMethods(); err == nil {
		out.methods = methods
	}
	out.parts = parts
	return out
}

// templateSegments splits a template (without its leading '/') into
// segments at the '/'s outside braces. Each must be a literal or exactly
// one variable, whose pattern, if it has one, cannot match a '/' and
// asserts nothing about what surrounds it: then the variable matches a
// segment exactly where mux's regexp of the whole path would.
func templateSegments(tpl string) ([]segmentPart, bool) {
	var parts []segmentPart
	depth, start := 0, 0
	for i := 0; i <= len(tpl); i++ {
		if i < len(tpl) {
			switch tpl[i] {
			case '{':
				depth++
				continue
			case '}':
				depth--
				continue
			case '/':
				if depth > 0 {
					continue
				}
			default:
				continue
			}
		}
		part, ok := templatePart(tpl[start:i])
		if !ok {
			return nil, false
		}
		parts = append(parts, part)
		start = i + 1
	}
	return parts, depth == 0
}

// templatePart reads one segment of a template.
func templatePart(seg string) (segmentPart, bool) {
	if !strings.ContainsAny(seg, "{}") {
		return segmentPart{literal: seg}, true
	}
	if !strings.HasPrefix(seg, "{") || closingBrace(seg) != len(seg)-1 {
		return segmentPart{}, false // a literal beside a variable, or two variables
	}
	inner := seg[1 : len(seg)-1]
	name, pattern, custom := strings.Cut(inner, ":")
	if name == "" {
		return segmentPart{}, false
	}
	if !custom {
		return segmentPart{name: name}, true
	}
	if !withinSegment(pattern) {
		return segmentPart{}, false
	}
	re, err := regexp.Compile("^(?:" + pattern + ")$")
	if err != nil {
		return segmentPart{}, false
	}
	return segmentPart{name: name, pattern: re}, true
}

// closingBrace is the index of the brace closing the one seg opens
// with, or -1.
func closingBrace(seg string) int {
	depth := 0
	for i := range len(seg) {
		switch seg[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// withinSegment reports whether pattern can only match text without a
// '/' and has no assertion (^, $, \b, \A, \z) whose meaning would change
// when matched against one segment instead of the whole path.
func withinSegment(pattern string) bool {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return false
	}
	var within func(*syntax.Regexp) bool
	within = func(re *syntax.Regexp) bool {
		switch re.Op {
		case syntax.OpAnyChar, syntax.OpAnyCharNotNL, syntax.OpBeginLine, syntax.OpEndLine,
			syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
			return false
		case syntax.OpLiteral:
			if slices.Contains(re.Rune, '/') {
				return false
			}
		case syntax.OpCharClass:
			for i := 0; i+1 < len(re.Rune); i += 2 {
				if re.Rune[i] <= '/' && '/' <= re.Rune[i+1] {
					return false
				}
			}
		}
		return !slices.ContainsFunc(re.Sub, func(sub *syntax.Regexp) bool { return !within(sub) })
	}
	return within(re)
}

// match is mux.Router.Match for a router with neither middleware nor
// handlers of its own for not found and method not allowed (as
// mountGuarded's are), on the request's escaped path.
func (s *segmentRouter) match(req *http.Request, path string, match *mux.RouteMatch) bool {
	for i := range s.routes {
		route := &s.routes[i]
		if route.opaque() {
			if route.route.Match(req, match) {
				return true
			}
			continue
		}
		if !route.matchesPath(path) {
			if match.MatchErr == mux.ErrNotFound {
				match.MatchErr = nil // as mux's Route.Match clears a subrouter's
			}
			continue
		}
		if route.methods != nil && !slices.Contains(route.methods, req.Method) {
			match.MatchErr = mux.ErrMethodMismatch
			continue
		}
		if match.MatchErr == mux.ErrMethodMismatch {
			match.MatchErr = nil // a route matches whole: no 405
		}
		if match.Route == nil {
			match.Route = route.route
		}
		if match.Handler == nil {
			match.Handler = route.handler
		}
		if match.Vars == nil {
			match.Vars = make(map[string]string, len(route.parts))
		}
		route.setVars(path, match.Vars)
		return true
	}
	if match.MatchErr != mux.ErrMethodMismatch {
		match.MatchErr = mux.ErrNotFound
	}
	return false
}

// matchesPath reports whether path (escaped, with its leading '/')
// matches the route's segments, without allocating.
func (r *segmentRoute) matchesPath(path string) bool {
	if !strings.HasPrefix(path, "/") {
		return false
	}
	rest := path[1:]
	for i, part := range r.parts {
		seg, after, more := strings.Cut(rest, "/")
		if more == (i == len(r.parts)-1) {
			return false // more segments than the template, or fewer
		}
		if !part.matches(seg) {
			return false
		}
		rest = after
	}
	return true
}

func (p segmentPart) matches(seg string) bool {
	switch {
	case p.name == "":
		return seg == p.literal
	case p.pattern == nil:
		return seg != ""
	default:
		return p.pattern.MatchString(seg)
	}
}

// setVars stores the route's variables taken from path, which matched.
func (r *segmentRoute) setVars(path string, vars map[string]string) {
	rest := path[1:]
	for _, part := range r.parts {
		seg, after, _ := strings.Cut(rest, "/")
		if part.name != "" {
			vars[part.name] = seg
		}
		rest = after
	}
}

// agreesWith checks the segment matching of every route it read against
// mux's for requests built from the route's template, in every method.
func (s *segmentRouter) agreesWith(router *mux.Router) error {
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions, "PROPFIND"}
	for _, route := range s.routes {
		if route.opaque() {
			continue
		}
		for _, path := range route.samplePaths() {
			for _, method := range methods {
				req, err := http.NewRequest(method, "http://sandbox.test"+path, nil)
				if err != nil {
					return fmt.Errorf("route %s: sample path %q: %w", route.template(), path, err)
				}
				if err := s.agreesOn(router, req); err != nil {
					return fmt.Errorf("route %s: %w", route.template(), err)
				}
			}
		}
	}
	return nil
}

// agreesOn compares one request's match by s and by mux.
func (s *segmentRouter) agreesOn(router *mux.Router, req *http.Request) error {
	var ours, theirs mux.RouteMatch
	okOurs := s.match(req, req.URL.EscapedPath(), &ours)
	okTheirs := router.Match(req, &theirs)
	if okOurs != okTheirs || ours.Route != theirs.Route || ours.MatchErr != theirs.MatchErr || fmt.Sprint(ours.Vars) != fmt.Sprint(theirs.Vars) {
		return fmt.Errorf("%s %s: segment matching (%v, %v, %v) and mux (%v, %v, %v) disagree",
			req.Method, req.URL.EscapedPath(), okOurs, ours.MatchErr, ours.Vars, okTheirs, theirs.MatchErr, theirs.Vars)
	}
	return nil
}

// samplePaths are paths built from the route's template: each variable
// as a plain word, then as the word "x" followed by each literal of the
// template (so a variable next to a literal route is tried as that
// literal's neighbour), and the template with one more and one fewer
// segment. A pattern that refuses the word leaves it out.
func (r *segmentRoute) samplePaths() []string {
	words := []string{"x0"}
	for _, p := range r.parts {
		if p.name == "" && p.literal != "" {
			words = append(words, p.literal)
		}
	}
	var out []string
	for _, w := range words {
		segs := make([]string, len(r.parts))
		usable := true
		for i, p := range r.parts {
			segs[i] = p.literal
			if p.name != "" {
				segs[i] = w
				usable = usable && p.matches(w)
			}
		}
		if !usable {
			continue
		}
		path := "/" + strings.Join(segs, "/")
		out = append(out, path, path+"/", path+"/x0", strings.TrimSuffix(path, "/"+segs[len(segs)-1]))
	}
	return out
}

func (r *segmentRoute) template() string {
	tpl, _ := r.route.GetPathTemplate()
	return tpl
}
