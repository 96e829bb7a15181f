package journal_test

import (
	"fmt"
	"net/url"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/journal"
)

// A journal keeps the newest entries within its bounds and counts what it
// dropped.
func ExampleNewStore() {
	store := journal.NewStore(journal.Settings{MaxEntries: 3, MaxBytes: 1 << 20, BodyBytes: 4096})
	for _, status := range []int{200, 404, 503, 201, 429} {
		store.Append(journal.Entry{API: "gitlab", Method: "GET", Path: "/oauth/token", Status: status})
	}
	q, err := journal.ParseQuery(url.Values{"status": {"4xx"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	res := store.Find(q)
	fmt.Println(len(res.Entries), res.Entries[0].ID, res.Entries[0].Status, res.Dropped)
	// Output: 1 5 429 2
}
