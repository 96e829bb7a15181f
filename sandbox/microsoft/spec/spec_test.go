package spec_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/spec"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/openapi"
)

const (
	subscriptionID = "37f9dea2-4345-438f-b0bd-03d40d28c7e0"
	operationID    = "529f53d3-1a9e-4c2b-a6b1-3e2f5d4c6b7a"
)

func validator(t *testing.T) *openapi.Validator {
	t.Helper()
	v, err := openapi.New(spec.YAML)
	if err != nil {
		t.Fatalf("the document does not load: %v", err)
	}
	return v
}

func model(t *testing.T) *v3.Document {
	t.Helper()
	doc, err := libopenapi.NewDocument(spec.YAML)
	if err != nil {
		t.Fatal(err)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	return &m.Model
}

// TestEveryFulfillmentOperationIsDocumented walks the operations of
// docs/microsoft.md §4: each is present, with the operation id of
// Microsoft's file, the required api-version and both tracking headers.
func TestEveryFulfillmentOperationIsDocumented(t *testing.T) {
	want := []struct{ method, path, operationID string }{
		{"POST", "/saas/subscriptions/resolve", "FulfillmentOperations_Resolve"},
		{"GET", "/saas/subscriptions", "FulfillmentOperations_ListSubscriptions"},
		{"GET", "/saas/subscriptions/{subscriptionId}", "FulfillmentOperations_GetSubscription"},
		{"PATCH", "/saas/subscriptions/{subscriptionId}", "FulfillmentOperations_UpdateSubscription"},
		{"DELETE", "/saas/subscriptions/{subscriptionId}", "FulfillmentOperations_DeleteSubscription"},
		{"GET", "/saas/subscriptions/{subscriptionId}/listAvailablePlans", "FulfillmentOperations_ListAvailablePlans"},
		{"POST", "/saas/subscriptions/{subscriptionId}/activate", "FulfillmentOperations_ActivateSubscription"},
		{"GET", "/saas/subscriptions/{subscriptionId}/operations", "SubscriptionOperations_ListOperations"},
		{"GET", "/saas/subscriptions/{subscriptionId}/operations/{operationId}", "SubscriptionOperations_GetOperationStatus"},
		{"PATCH", "/saas/subscriptions/{subscriptionId}/operations/{operationId}", "SubscriptionOperations_UpdateOperationStatus"},
		{"POST", "/usageEvent", "MeteringOperations_PostUsageEvent"},
		{"POST", "/batchUsageEvent", "MeteringOperations_PostBatchUsageEvent"},
		{"GET", "/usageEvents", "MeteringOperations_GetUsageEvents"},
	}
	m := model(t)
	if len(m.Servers) != 1 || m.Servers[0].URL != "/api" {
		t.Errorf("servers: want the one base path /api")
	}
	var got []string
	for path, item := range m.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			got = append(got, strings.ToUpper(method)+" "+path)
		}
	}
	var names []string
	for _, w := range want {
		names = append(names, w.method+" "+w.path)
	}
	sort.Strings(got)
	sort.Strings(names)
	if !slices.Equal(got, names) {
		t.Errorf("operations:\n got %v\nwant %v", got, names)
	}
	for _, w := range want {
		t.Run(w.operationID, func(t *testing.T) {
			item, ok := m.Paths.PathItems.Get(w.path)
			if !ok {
				t.Fatalf("no path %s", w.path)
			}
			op, ok := item.GetOperations().Get(strings.ToLower(w.method))
			if !ok {
				t.Fatalf("no %s %s", w.method, w.path)
			}
			if op.OperationId != w.operationID {
				t.Errorf("operationId %q, want %q", op.OperationId, w.operationID)
			}
			params := map[string]bool{}
			for _, p := range op.Parameters {
				params[p.In+" "+p.Name] = p.Required != nil && *p.Required
			}
			if required, ok := params["query api-version"]; !ok || !required {
				t.Error("api-version is not a required query parameter")
			}
			for _, h := range []string{"header x-ms-requestid", "header x-ms-correlationid"} {
				if _, ok := params[h]; !ok {
					t.Errorf("no %s parameter", h)
				}
			}
			for code, resp := range op.Responses.Codes.FromOldest() {
				for _, h := range []string{"x-ms-requestid", "x-ms-correlationid"} {
					if _, ok := resp.Headers.Get(h); !ok {
						t.Errorf("response %s does not declare %s", code, h)
					}
				}
			}
		})
	}
}

func TestResolveNeedsTheMarketplaceTokenHeader(t *testing.T) {
	v := validator(t)
	r := request("POST", "/api/saas/subscriptions/resolve?api-version=2018-08-31", "")
	if findings := v.ValidateRequest(r, nil); len(findings) == 0 {
		t.Error("a resolve without x-ms-marketplace-token is valid")
	}
	r.Header.Set("x-ms-marketplace-token", "abc+def/ghi==")
	if findings := v.ValidateRequest(r, nil); len(findings) != 0 {
		t.Errorf("a resolve with a token: %v", findings)
	}
}

func TestRequestsAreCheckedAgainstTheDocument(t *testing.T) {
	v := validator(t)
	sub := "/api/saas/subscriptions/" + subscriptionID
	cases := []struct {
		name, method, target, body string
		valid                      bool
	}{
		{"list", "GET", "/api/saas/subscriptions?api-version=2018-08-31", "", true},
		{"list, next page", "GET", "/api/saas/subscriptions?api-version=2018-08-31&continuationToken=abc", "", true},
		{"no api-version", "GET", "/api/saas/subscriptions", "", false},
		{"another api-version", "GET", "/api/saas/subscriptions?api-version=2022-03-01", "", false},
		{"get", "GET", sub + "?api-version=2018-08-31", "", true},
		{"get, not a uuid", "GET", "/api/saas/subscriptions/nope?api-version=2018-08-31", "", false},
		{"a request id that is no GUID", "GET", sub + "?api-version=2018-08-31", "", true},
		{"plans of one plan", "GET", sub + "/listAvailablePlans?api-version=2018-08-31&planId=gold", "", true},
		{"activate", "POST", sub + "/activate?api-version=2018-08-31", `{"planId":"gold","quantity":5}`, true},
		{"change the plan", "PATCH", sub + "?api-version=2018-08-31", `{"planId":"silver"}`, true},
		{"change the quantity", "PATCH", sub + "?api-version=2018-08-31", `{"quantity":7}`, true},
		{"change both", "PATCH", sub + "?api-version=2018-08-31", `{"planId":"silver","quantity":7}`, false},
		{"change nothing", "PATCH", sub + "?api-version=2018-08-31", `{}`, false},
		{"change the plan, unknown fields tolerated", "PATCH", sub + "?api-version=2018-08-31", `{"planId":"silver","note":"x"}`, true},
		{"quantity as a string", "PATCH", sub + "?api-version=2018-08-31", `{"quantity":"7"}`, false},
		{"delete", "DELETE", sub + "?api-version=2018-08-31", "", true},
		{"operations", "GET", sub + "/operations?api-version=2018-08-31", "", true},
		{"operation", "GET", sub + "/operations/" + operationID + "?api-version=2018-08-31", "", true},
		{"acknowledge", "PATCH", sub + "/operations/" + operationID + "?api-version=2018-08-31", `{"status":"Success"}`, true},
		{"acknowledge with an unknown status", "PATCH", sub + "/operations/" + operationID + "?api-version=2018-08-31", `{"status":"blah"}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := request(c.method, c.target, c.body)
			r.Header.Set("x-ms-requestid", "my-request-1")
			findings := v.ValidateRequest(r, []byte(c.body))
			if c.valid && len(findings) != 0 {
				t.Errorf("refused: %v", findings)
			}
			if !c.valid && len(findings) == 0 {
				t.Error("accepted")
			}
		})
	}
}

func request(method, target, body string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("Authorization", "Bearer x")
	return r
}
