// Package listing pages the control API's listings alike for every
// marketplace, so one client walks them all: the filters a listing knows,
// each at most once (a misspelt filter would otherwise list everything),
// limit (1 to MaxLimit, default DefaultLimit) and offset (from 0), both
// written as plain whole numbers; the answer holds the page under the
// listing's own key with total, limit, offset and, when more remain, next
// (README.md, "Control API").
package listing

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Listing bounds: a page holds DefaultLimit items unless limit says
// otherwise, and never more than MaxLimit.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Page is the limit and offset of one request.
type Page struct{ Limit, Offset int }

// Query reads the query parameters of a listing that knows the filters
// known (limit and offset it always knows). Its error is the message for
// the client, which the caller answers as a 400 in its envelope.
func Query(r *http.Request, known ...string) (url.Values, Page, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, Page{}, fmt.Errorf("The query string is malformed: %v.", err)
	}
	all := append(append([]string(nil), known...), "limit", "offset")
	for name, values := range q {
		if !slices.Contains(all, name) {
			return nil, Page{}, fmt.Errorf("Unknown parameter %s: this listing takes %s.", quote(name), strings.Join(all, ", "))
		}
		if len(values) > 1 {
			return nil, Page{}, fmt.Errorf("Parameter %s is given %d times; give it once.", quote(name), len(values))
		}
	}
	pg := Page{Limit: DefaultLimit}
	for _, p := range []struct {
		name     string
		min, max int
		into     *int
	}{{"limit", 1, MaxLimit, &pg.Limit}, {"offset", 0, math.MaxInt32, &pg.Offset}} {
		text, set := q[p.name]
		if !set {
			continue
		}
		n, err := strconv.Atoi(text[0])
		if err != nil || n < p.min || n > p.max || strconv.Itoa(n) != text[0] {
			return nil, Page{}, fmt.Errorf("%s must be a whole number from %d to %d, not %s.", p.name, p.min, p.max, quote(text[0]))
		}
		*p.into = n
	}
	return q, pg, nil
}

// Of is the answer of a listing: the page of items under name, how many
// match in all, and the link to the next page when there is one.
func Of[T any](r *http.Request, name string, items []T, pg Page) map[string]any {
	total := len(items)
	start := min(pg.Offset, total)
	end := min(start+pg.Limit, total)
	out := map[string]any{name: append([]T{}, items[start:end]...), "total": total, "limit": pg.Limit, "offset": pg.Offset}
	if end < total {
		q := r.URL.Query()
		q.Set("offset", strconv.Itoa(end))
		q.Set("limit", strconv.Itoa(pg.Limit))
		out["next"] = r.URL.Path + "?" + q.Encode()
	}
	return out
}

// quote shows a client's text in a message, cut at 64 characters.
func quote(s string) string {
	if r := []rune(s); len(r) > 64 {
		s = string(r[:64]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
