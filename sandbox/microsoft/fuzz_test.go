package microsoft_test

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzFulfillment sends arbitrary methods, paths, queries, headers and
// bodies to the fulfillment API: it never answers 5xx, and every answer
// is in the envelope or a documented success.
func FuzzFulfillment(f *testing.F) {
	e := newEnv(f)
	id := e.subscribed("team-seats", map[string]any{"quantity": 5})
	for _, seed := range []struct{ method, path, query, token, body string }{
		{"GET", "/" + id, "api-version=2018-08-31", "", ""},
		{"PATCH", "/" + id, "api-version=2018-08-31", "", `{"quantity":7}`},
		{"PATCH", "/" + id, "api-version=2018-08-31", "", `{"planId":"basic","quantity":1}`},
		{"POST", "/resolve", "api-version=2018-08-31", "a+b/c==", ""},
		{"POST", "/" + id + "/activate", "api-version=2018-08-31", "", `{"planId":null}`},
		{"GET", "", "api-version=2018-08-31&continuationToken=MTA6Y29udG9zbw.x", "", ""},
		{"PATCH", "/" + id + "/operations/x", "api-version=2018-08-31", "", `{"status":1e400}`},
		{"DELETE", "/" + id, "api-version=%zz", "", ""},
	} {
		f.Add(seed.method, seed.path, seed.query, seed.token, seed.body)
	}
	f.Fuzz(func(t *testing.T, method, path, query, token, body string) {
		switch method {
		case "GET", "POST", "PATCH", "DELETE":
		default:
			return
		}
		if strings.ContainsAny(path+query, " #\x00\r\n") || strings.Contains(path, "..") {
			return
		}
		e.t = t
		h := e.as(0)
		if token != "" && !strings.ContainsAny(token, "\r\n\x00") {
			h["x-ms-marketplace-token"] = token
		}
		req, err := http.NewRequest(method, e.srv.URL+"/api/saas/subscriptions"+path+"?"+query, strings.NewReader(body))
		if err != nil {
			return
		}
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s?%s %q: %d", method, path, query, body, resp.StatusCode)
		}
	})
}
