package gitlab_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/sandboxtest"
)

// FuzzCreate sends arbitrary bodies to the create endpoint: whatever they
// are, the answer is a 201 or a 4xx in the portal's envelope, never a 5xx.
func FuzzCreate(f *testing.F) {
	f.Add([]byte(`{"externalSubscriptionId":"f","tradingPartnerId":"TP-DEMO-001","customer":{"companyName":"A","contact":{"firstName":"A","lastName":"B","email":"a@b.co"},"address":{"country":"FR"}},"orderLines":[{"productId":"duo_pro","quantity":1}]}`))
	f.Add([]byte(`{"orderLines":[{"quantity":1e400}]}`))
	f.Add([]byte(`{"orderLines":[{"quantity":2.5,"productId":7}]}`))
	f.Add([]byte(`{"customer":{"contact":{"email":"a\r\nBcc: x@y"}}}`))
	f.Add([]byte("\x00"))
	srv, err := sandboxtest.Start(sandboxtest.WithFrozenClock(epoch))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(srv.Close)
	tok, err := srv.Token("demo-partner", "demo-secret", scopeCreate)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := call(t, http.MethodPost, srv.URL+subsPath, bearer(tok), body)
		if r.status != http.StatusCreated && (r.status < 400 || r.status > 499) {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		srv.Advance(time.Second)
	})
}
