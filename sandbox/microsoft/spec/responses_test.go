package spec_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/schema_validation"
)

// Example bodies of each shape, as the Partner Center pages show them
// (docs/microsoft.md §3, §4), with our own ids and names.
const (
	subscriptionJSON = `{
	  "id": "37f9dea2-4345-438f-b0bd-03d40d28c7e0",
	  "publisherId": "contoso", "offerId": "offer1", "name": "Contoso Cloud Solution",
	  "saasSubscriptionStatus": "Subscribed",
	  "beneficiary": {"emailId": "test@test.com", "objectId": "a1b2c3d4-0000-4000-8000-000000000001", "tenantId": "a1b2c3d4-0000-4000-8000-000000000002", "puid": "1000000000000001"},
	  "purchaser": {"emailId": "test@test.com", "objectId": "a1b2c3d4-0000-4000-8000-000000000001", "tenantId": "a1b2c3d4-0000-4000-8000-000000000002", "puid": "1000000000000001"},
	  "planId": "silver", "quantity": 10,
	  "term": {"startDate": "2026-11-01T00:00:00Z", "endDate": "2026-11-30T00:00:00Z", "termUnit": "P1M", "chargeDuration": null},
	  "autoRenew": true, "isTest": false, "isFreeTrial": false,
	  "allowedCustomerOperations": ["Read", "Update", "Delete"],
	  "sessionId": "a1b2c3d4-0000-4000-8000-000000000003", "fulfillmentId": "a1b2c3d4-0000-4000-8000-000000000004",
	  "storeFront": "AzurePortal", "sandboxType": "None", "created": "2026-11-01T00:00:00Z", "sessionMode": "None",
	  "somethingMicrosoftAddsLater": 1
	}`
	operationJSON = `{
	  "id": "529f53d3-1a9e-4c2b-a6b1-3e2f5d4c6b7a", "activityId": "a1b2c3d4-0000-4000-8000-000000000005",
	  "subscriptionId": "37f9dea2-4345-438f-b0bd-03d40d28c7e0", "offerId": "offer1", "publisherId": "contoso",
	  "planId": "gold", "quantity": 20, "action": "ChangePlan", "timeStamp": "2026-11-02T10:00:00.1234567Z",
	  "status": "InProgress", "errorStatusCode": "", "errorMessage": ""
	}`
	planJSON = `{
	  "planId": "gold", "displayName": "Gold", "isPrivate": false, "description": "Per seat, monthly or yearly",
	  "minQuantity": 1, "maxQuantity": 100, "hasFreeTrials": false, "isPricePerSeat": true, "isStopSell": false, "market": "US",
	  "planComponents": {
	    "recurrentBillingTerms": [{"currency": "USD", "price": 10.5, "termUnit": "P1M", "termDescription": "one month",
	      "meteredQuantityIncluded": [{"dimensionId": "emails", "units": "1000"}]}],
	    "meteringDimensions": [{"id": "emails", "currency": "USD", "pricePerUnit": 0.01, "unitOfMeasure": "email", "displayName": "Emails sent"}]
	  }
	}`
	errorJSON = `{"code": "EntityNotFound", "message": "Subscription 37f9dea2-4345-438f-b0bd-03d40d28c7e0 not found", "target": "subscriptionId", "details": []}`
)

const operationLocation = "https://localhost:8443/api/saas/subscriptions/37f9dea2-4345-438f-b0bd-03d40d28c7e0/operations/529f53d3-1a9e-4c2b-a6b1-3e2f5d4c6b7a?api-version=2018-08-31"

type exampleResponse struct {
	name, method, target string
	status               int
	headers              map[string]string
	body                 string
	// broken, when not empty, is a word every finding of an invalid
	// example must mention; empty means the example is valid.
	broken string
}

func TestExampleResponsesValidate(t *testing.T) {
	v := validator(t)
	sub := "/api/saas/subscriptions/" + subscriptionID
	query := "?api-version=2018-08-31"
	cases := []exampleResponse{
		{name: "resolve", method: "POST", target: "/api/saas/subscriptions/resolve" + query, status: 200,
			body: `{"id": "37f9dea2-4345-438f-b0bd-03d40d28c7e0", "subscriptionName": "Contoso Cloud Solution", "offerId": "offer1", "planId": "silver", "quantity": 10, "subscription": ` + subscriptionJSON + `}`},
		{name: "list with a next page", method: "GET", target: "/api/saas/subscriptions" + query, status: 200,
			body: `{"subscriptions": [` + subscriptionJSON + `], "@nextLink": "https://localhost:8443/api/saas/subscriptions?continuationToken=abc&api-version=2018-08-31"}`},
		{name: "the last page", method: "GET", target: "/api/saas/subscriptions" + query, status: 200,
			body: `{"subscriptions": []}`},
		{name: "get", method: "GET", target: sub + query, status: 200, body: subscriptionJSON},
		{name: "a flat-rate subscription pending fulfillment", method: "GET", target: sub + query, status: 200,
			body: `{"id": "37f9dea2-4345-438f-b0bd-03d40d28c7e0", "saasSubscriptionStatus": "PendingFulfillmentStart", "planId": "flat", "term": {"termUnit": "P1Y"}, "allowedCustomerOperations": ["Read"], "sandboxType": "Csp"}`},
		{name: "plans", method: "GET", target: sub + "/listAvailablePlans" + query, status: 200, body: `{"plans": [` + planJSON + `]}`},
		{name: "activate", method: "POST", target: sub + "/activate" + query, status: 200},
		{name: "change accepted", method: "PATCH", target: sub + query, status: 202,
			headers: map[string]string{"Operation-Location": operationLocation}},
		{name: "delete accepted", method: "DELETE", target: sub + query, status: 202,
			headers: map[string]string{"Operation-Location": operationLocation}},
		{name: "operations", method: "GET", target: sub + "/operations" + query, status: 200, body: `{"operations": [` + operationJSON + `]}`},
		{name: "operation", method: "GET", target: sub + "/operations/" + operationID + query, status: 200, body: operationJSON},
		{name: "a renew operation", method: "GET", target: sub + "/operations/" + operationID + query, status: 200,
			body: `{"id": "529f53d3-1a9e-4c2b-a6b1-3e2f5d4c6b7a", "action": "Renew", "status": "Succeeded"}`},
		{name: "acknowledged", method: "PATCH", target: sub + "/operations/" + operationID + query, status: 200},
		{name: "not found", method: "GET", target: sub + query, status: 404, body: errorJSON},
		{name: "bad request", method: "PATCH", target: sub + query, status: 400,
			body: `{"code": "BadRequest", "message": "Request Plan is NOT in Catalog.", "target": "update"}`},
		{name: "forbidden", method: "GET", target: "/api/saas/subscriptions" + query, status: 403, body: `{"code": "Forbidden", "message": "The token is not valid."}`},
		{name: "conflict", method: "DELETE", target: sub + query, status: 409,
			body: `{"code": "Conflict", "message": "The subscription has a pending operation.", "target": "subscriptionId", "details": [{"code": "Conflict", "message": "pending", "target": "operationId"}]}`},
		{name: "injected 500", method: "POST", target: sub + "/activate" + query, status: 500, body: `{"code": "InternalServerError", "message": "Injected by a fault rule."}`},

		{name: "a usage event accepted", method: "POST", target: "/api/usageEvent" + query, status: 200, body: usageEventJSON},
		{name: "a duplicate usage event", method: "POST", target: "/api/usageEvent" + query, status: 409,
			body: `{"additionalInfo": {"acceptedMessage": ` + strings.Replace(usageEventJSON, `"Accepted"`, `"Duplicate"`, 1) + `}, "message": "This usage event already exist.", "code": "Conflict"}`},
		{name: "a bad usage event", method: "POST", target: "/api/usageEvent" + query, status: 400,
			body: `{"message": "One or more errors have occurred.", "target": "usageEventRequest", "details": [{"message": "quantity must be greater than 0.", "target": "quantity", "code": "BadArgument"}], "code": "BadArgument"}`},
		{name: "a batch", method: "POST", target: "/api/batchUsageEvent" + query, status: 200,
			body: `{"count": 2, "result": [` + usageEventJSON + `, {"status": "ResourceNotActive", "quantity": 1, "error": {"code": "ResourceNotActive", "message": "Suspended", "target": "resourceId", "details": []}}]}`},
		{name: "the usage report", method: "GET", target: "/api/usageEvents" + query + "&usageStartDate=2026-03-07", status: 200,
			body: `[{"usageDate": "2026-03-07T00:00:00Z", "usageResourceId": "37f9dea2-4345-438f-b0bd-03d40d28c7e0", "dimension": "api-calls", "planId": "metered", "planName": "Metered", "offerId": "o", "offerName": "o", "offerType": "SaaS", "azureSubscriptionId": "", "reconStatus": "Accepted", "submittedQuantity": 1.5, "processedQuantity": 1.5, "submittedCount": 1}]`},
		{name: "a batch item of an unknown status", method: "POST", target: "/api/batchUsageEvent" + query, status: 200,
			body: `{"count": 1, "result": [{"status": "Rejected"}]}`, broken: "status"},

		{name: "an unknown status", method: "GET", target: sub + query, status: 200,
			body: `{"saasSubscriptionStatus": "Active"}`, broken: "saasSubscriptionStatus"},
		{name: "quantity as a string", method: "GET", target: sub + query, status: 200,
			body: `{"quantity": "10"}`, broken: "quantity"},
		{name: "an operation with an unknown action", method: "GET", target: sub + "/operations/" + operationID + query, status: 200,
			body: `{"action": "Subscribe"}`, broken: "action"},
		{name: "a next link that is no URL", method: "GET", target: "/api/saas/subscriptions" + query, status: 200,
			body: `{"subscriptions": [], "@nextLink": "not a url"}`, broken: "nextLink"},
		{name: "a 202 without Operation-Location", method: "PATCH", target: sub + query, status: 202, broken: "Operation-Location"},
		{name: "an error without a code", method: "GET", target: sub + query, status: 404,
			body: `{"message": "Subscription not found"}`, broken: "code"},
		{name: "a status the document does not declare", method: "GET", target: sub + query, status: 418,
			body: errorJSON, broken: "418"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			findings := v.ValidateResponse(request(c.method, c.target, ""), c.response())
			if c.broken == "" {
				if len(findings) != 0 {
					t.Errorf("a valid example is refused:\n%s", strings.Join(findings, "\n"))
				}
				return
			}
			t.Log(strings.Join(findings, "\n"))
			if len(findings) == 0 {
				t.Fatal("an invalid example is accepted")
			}
			if !strings.Contains(strings.Join(findings, "\n"), c.broken) {
				t.Errorf("no finding mentions %q:\n%s", c.broken, strings.Join(findings, "\n"))
			}
		})
	}
}

func TestEveryResponseCarriesTheTrackingHeaders(t *testing.T) {
	v := validator(t)
	c := exampleResponse{method: "GET", target: "/api/saas/subscriptions/" + subscriptionID + "?api-version=2018-08-31", status: 200, body: subscriptionJSON}
	resp := c.response()
	resp.Header.Del("x-ms-correlationid")
	findings := v.ValidateResponse(request(c.method, c.target, ""), resp)
	if !strings.Contains(strings.Join(findings, "\n"), "x-ms-correlationid") {
		t.Errorf("a response without x-ms-correlationid: %v", findings)
	}
}

// response builds the response of an example: JSON when it has a body, and
// the tracking headers every fulfillment response carries.
func (c exampleResponse) response() *http.Response {
	resp := &http.Response{StatusCode: c.status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(c.body))}
	if c.body != "" {
		resp.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp.Header.Set("x-ms-requestid", "a1b2c3d4-0000-4000-8000-0000000000aa")
	resp.Header.Set("x-ms-correlationid", "a1b2c3d4-0000-4000-8000-0000000000bb")
	for k, val := range c.headers {
		resp.Header.Set(k, val)
	}
	return resp
}

// TestWebhookPayloadsValidate checks the example payload of Microsoft's
// webhook page (docs/microsoft.md §6) against the document's webhooks
// section, and that a misspelled or unknown action is caught.
func TestWebhookPayloadsValidate(t *testing.T) {
	m := model(t)
	hook, ok := m.Webhooks.Get("subscriptionEvent")
	if !ok || hook.Post == nil {
		t.Fatal("no webhooks.subscriptionEvent.post")
	}
	media, ok := hook.Post.RequestBody.Content.Get("application/json")
	if !ok {
		t.Fatal("the webhook has no JSON body")
	}
	schema := media.Schema.Schema()
	sv := schema_validation.NewSchemaValidator(config.WithFormatAssertions())
	cases := []struct {
		name, body string
		valid      bool
	}{
		{"change plan from the customer", `{"id": "529f53d3-1a9e-4c2b-a6b1-3e2f5d4c6b7a", "activityId": "a1b2c3d4-0000-4000-8000-000000000005",
		  "publisherId": "contoso", "offerId": "offer1", "planId": "gold", "quantity": 20,
		  "subscriptionId": "37f9dea2-4345-438f-b0bd-03d40d28c7e0", "timeStamp": "2026-11-02T10:00:00.1234567Z",
		  "action": "ChangePlan", "status": "InProgress", "operationRequestSource": "Azure",
		  "subscription": ` + subscriptionJSON + `, "purchaseToken": null}`, true},
		{"renew", `{"action": "Renew", "status": "Succeeded", "operationRequestSource": "Azure"}`, true},
		{"from the publisher", `{"action": "Unsubscribe", "status": "Succeeded", "operationRequestSource": "Partner"}`, true},
		{"an unknown source", `{"action": "Suspend", "operationRequestSource": "Customer"}`, false},
		{"an unknown action", `{"action": "Subscribe"}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ok, errs := sv.ValidateSchemaStringWithVersion(schema, c.body, 3.1)
			if ok != c.valid {
				t.Errorf("valid = %v, want %v (%d findings)", ok, c.valid, len(errs))
			}
		})
	}
}

// usageEventJSON is an accepted usage event as the metering page shows one.
const usageEventJSON = `{"usageEventId": "529f53d3-1a9e-4c2b-a6b1-3e2f5d4c6b7b", "status": "Accepted", "messageTime": "2026-03-07T10:00:00Z",
	"resourceId": "37f9dea2-4345-438f-b0bd-03d40d28c7e0", "quantity": 5.5, "dimension": "api-calls", "effectiveStartTime": "2026-03-07T09:00:00Z", "planId": "metered"}`
