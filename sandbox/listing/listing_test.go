package listing_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/listing"
)

// TestQuery: known filters once each, limit and offset as plain whole
// numbers in range; anything else is refused with the reason.
func TestQuery(t *testing.T) {
	for _, tc := range []struct{ name, query, wantErr string }{
		{"nothing", "", ""},
		{"a filter and a page", "status=x&limit=5&offset=10", ""},
		{"unknown", "stauts=x", `Unknown parameter "stauts": this listing takes status, limit, offset, cursor.`},
		{"twice", "status=a&status=b", `Parameter "status" is given 2 times`},
		{"limit zero", "limit=0", "limit must be a whole number from 1 to 1000"},
		{"limit too big", "limit=1001", "limit must be a whole number from 1 to 1000"},
		{"limit spelt oddly", "limit=05", `not "05"`},
		{"negative offset", "offset=-1", "offset must be a whole number from 0"},
		{"offset fraction", "offset=1.5", "offset must be a whole number"},
		{"malformed", "a=%zz", "The query string is malformed"},
		{"a cursor", "cursor=42&limit=5", ""},
		{"cursor and offset", "cursor=42&offset=3", "Give cursor or offset, not both"},
		{"cursor zero", "cursor=0", "cursor must be the cursor of a page's next link"},
		{"cursor spelt oddly", "cursor=042", `not "042"`},
		{"cursor not a number", "cursor=abc", `not "abc"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := listing.Query(httptest.NewRequest("GET", "/x?"+tc.query, nil), "status")
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatal(err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// TestOf: a page of the items with total, and next while more remain,
// keeping the request's filters.
func TestOf(t *testing.T) {
	r := httptest.NewRequest("GET", "/things?status=a&limit=2", nil)
	_, pg, err := listing.Query(r, "status")
	if err != nil {
		t.Fatal(err)
	}
	out := listing.Of(r, "things", []int{1, 2, 3, 4, 5}, pg)
	if got := out["things"].([]int); len(got) != 2 || got[0] != 1 || out["total"] != 5 || out["next"] != "/things?limit=2&offset=2&status=a" {
		t.Fatalf("%v", out)
	}
	last := listing.Of(r, "things", []int{1, 2}, pg)
	if _, ok := last["next"]; ok || len(last["things"].([]int)) != 2 {
		t.Fatalf("%v", last)
	}
}

// TestPaged: a page a store cut itself links the next one by the cursor
// of its last record, drops offset from that link, and says which cursor
// it started from.
func TestPaged(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/_sandbox/x?status=a&offset=0&limit=2", nil)
	out := listing.Paged(r, "items", []int{1, 2}, 5, listing.Page{Limit: 2}, 17)
	if out["next"] != "/_sandbox/x?cursor=17&limit=2&status=a" || out["total"] != 5 {
		t.Errorf("first page %v", out)
	}
	r = httptest.NewRequest(http.MethodGet, "/_sandbox/x?cursor=17&limit=2", nil)
	out = listing.Paged(r, "items", []int{5}, 5, listing.Page{Limit: 2, After: 17}, 0)
	if _, more := out["next"]; more || out["cursor"] != "17" || out["offset"] != nil {
		t.Errorf("last page %v", out)
	}
}
