// Package spec holds the OpenAPI 3.1 document the sandbox writes for
// Microsoft's SaaS Fulfillment API v2. Microsoft publishes an OpenAPI 3.0.2
// file for it (saasapi.v2.json in microsoft/commercial-marketplace-openapi),
// but that file declares no error body, no response header and no webhook,
// and lags the Partner Center pages; this one is ours, written from the
// facts of both (docs/microsoft.md §1, §3, §4, §6). The sandbox validates
// requests against it, serves it at /_sandbox/openapi/microsoft.yaml, and
// tests validate the sandbox's responses against it.
package spec

import _ "embed"

// YAML is the OpenAPI document, as served.
//
//go:embed microsoft.yaml
var YAML []byte
