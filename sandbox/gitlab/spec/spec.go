// Package spec holds the OpenAPI 3.1 document the sandbox writes for
// GitLab's Marketplace API. GitLab serves its own document only on its
// staging portal, so this one is ours: the sandbox validates requests against
// it, serves it at /_sandbox/openapi/gitlab.yaml, and the conformance harness
// validates any implementation's responses against it.
package spec

import _ "embed"

// YAML is the OpenAPI document, as served.
//
//go:embed gitlab.yaml
var YAML []byte
