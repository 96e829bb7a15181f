package engine_test

import (
	"sync"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/openapi"
)

var (
	contractOnce sync.Once
	contractVal  *openapi.Contract
	contractErr  error
)

// contract builds the GitLab contract once for the whole test binary.
func contract(t *testing.T) *openapi.Contract {
	t.Helper()
	contractOnce.Do(func() { contractVal, contractErr = openapi.ForAPI("gitlab") })
	if contractErr != nil {
		t.Fatal(contractErr)
	}
	return contractVal
}
