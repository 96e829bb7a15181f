// Package scenarios is the conformance scenario library for the GitLab
// Marketplace API, embedded so that the conformance command works without
// a checkout. Each *.yaml file states one requirement (or one family of
// requirements, data-driven with `each`); `_fragments.yaml` holds values the
// scenarios share, such as a valid order. The format is documented in
// conformance/README.md and conformance/scenario/scenario.schema.json.
package scenarios

import "embed"

// FS holds every scenario file.
//
//go:embed *.yaml
var FS embed.FS
