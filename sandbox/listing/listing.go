// Package listing pages the control API's listings alike for every
// marketplace, so one client walks them all: the filters a listing knows,
// each at most once (a misspelt filter would otherwise list everything),
// limit (1 to MaxLimit, default DefaultLimit) and offset (from 0) or
// cursor (from a next link), all written as plain whole numbers; the
// answer holds the page under the listing's own key with total, limit,
// offset (or cursor) and, when more remain, next (README.md, "Control
// API").
package listing

import (
	"errors"
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

// Page is the limit and the start of one request: an offset, or a
// cursor from the next link of the page before. A cursor stays right
// while records come and go (retention evicting the oldest, new orders
// arriving); an offset counts from whatever is first now.
type Page struct {
	Limit, Offset int
	// After is the cursor: the page starts after the record it names.
	// Zero means no cursor was given.
	After uint64
}

// Query reads the query parameters of a listing that knows the filters
// known (limit and offset it always knows). Its error is the message for
// the client, which the caller answers as a 400 in its envelope.
func Query(r *http.Request, known ...string) (url.Values, Page, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, Page{}, fmt.Errorf("The query string is malformed: %v.", err)
	}
	all := append(append([]string(nil), known...), "limit", "offset", "cursor")
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
	if text, set := q["cursor"]; set {
		if _, offset := q["offset"]; offset {
			return nil, Page{}, errors.New("Give cursor or offset, not both: a cursor (from a page's next link) already says where the page starts.")
		}
		n, err := strconv.ParseUint(text[0], 10, 64)
		if err != nil || n == 0 || strconv.FormatUint(n, 10) != text[0] {
			return nil, Page{}, fmt.Errorf("cursor must be the cursor of a page's next link, not %s.", quote(text[0]))
		}
		pg.After = n
	}
	return q, pg, nil
}

// Paged is the answer of a listing whose store paged it itself (so that
// a listing of a few hundred thousand records copies only one page):
// items is the page, total how many match in all, and after the cursor
// of the page's last record, given when more follow.
func Paged[T any](r *http.Request, name string, items []T, total int, pg Page, after uint64) map[string]any {
	out := map[string]any{name: append([]T{}, items...), "total": total, "limit": pg.Limit, "offset": pg.Offset}
	if pg.After != 0 {
		delete(out, "offset")
		out["cursor"] = strconv.FormatUint(pg.After, 10)
	}
	if after != 0 {
		q := r.URL.Query()
		q.Del("offset")
		q.Set("cursor", strconv.FormatUint(after, 10))
		q.Set("limit", strconv.Itoa(pg.Limit))
		out["next"] = r.URL.Path + "?" + q.Encode()
	}
	return out
}

// Of is the answer of a listing: the page of items under name, how many
// match in all, and the link to the next page when there is one.
// A listing paged here has no record cursors: a cursor given to it is the
// position of the page's first item, as an offset would be.
func Of[T any](r *http.Request, name string, items []T, pg Page) map[string]any {
	total := len(items)
	if pg.After > 0 {
		pg.Offset = int(min(pg.After, uint64(math.MaxInt32)))
	}
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
