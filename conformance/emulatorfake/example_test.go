package emulatorfake_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/emulatorfake"
)

// The emulator answers a fulfillment call without api-version the way
// check-apiversion.ts does.
func ExampleNew() {
	e := emulatorfake.New(emulatorfake.WithWebhookPatchDelay(50 * time.Millisecond))
	srv := httptest.NewServer(e)
	defer srv.Close()
	defer e.Close()

	resp, err := http.Get(srv.URL + "/api/saas/subscriptions")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body)[:40])
	// Output: 400 {"Error":{"Code":"ApiVersionUnspecified"
}
