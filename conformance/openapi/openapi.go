// Package openapi checks responses of any implementation against the OpenAPI
// document the sandbox project writes for a marketplace API. GitLab
// publishes no document for its Marketplace API; ours
// (sandbox/gitlab/spec) is the written contract the harness certifies
// against, so a missing field or an undeclared status code fails a
// scenario that asks for `openapi: true`.
package openapi

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/gitlab/spec"
	msspec "github.com/marketplace-sandbox/marketplace-sandbox/sandbox/microsoft/spec"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/openapi"
)

// Contract validates responses against one OpenAPI document. One Contract
// serves any number of goroutines.
type Contract struct {
	validator *openapi.Validator
}

// New builds a Contract from an OpenAPI 3.x document, with the validator
// the sandbox itself uses: format assertions on (libopenapi-validator
// leaves them off by default), so a createdAt that is not an RFC 3339
// date-time is a defect.
func New(document []byte) (*Contract, error) {
	v, err := openapi.New(document)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return &Contract{validator: v}, nil
}

// ForAPI returns the Contract of a scenario's api.
func ForAPI(api string) (*Contract, error) {
	switch api {
	case "gitlab":
		return New(spec.YAML)
	case "microsoft":
		return New(msspec.YAML)
	}
	return nil, fmt.Errorf("openapi: no document for api %q", api)
}

// Response is what CheckResponse needs of an exchange. Path is relative to
// the API root (the target's base URL removed), as the document's paths are.
type Response struct {
	Method string
	Path   string
	Status int
	Header http.Header
	Body   []byte
}

// CheckResponse returns one message per way the response breaks the
// document: an undeclared status code, a header, or a body field. The
// validator's own errors embed whole schemas; they are reduced to a field
// path and a reason.
func (c *Contract) CheckResponse(r Response) []string {
	req, err := http.NewRequest(r.Method, "http://target"+r.Path, nil)
	if err != nil {
		return []string{"openapi: " + err.Error()}
	}
	resp := &http.Response{
		StatusCode: r.Status,
		Header:     r.Header.Clone(),
		Body:       io.NopCloser(bytes.NewReader(r.Body)),
		Request:    req,
	}
	return c.validator.ValidateResponse(req, resp)
}
