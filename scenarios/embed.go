// Package scenarios is the conformance scenario library, one folder per
// marketplace API (gitlab/: GitLab's Marketplace API; microsoft/:
// Microsoft's SaaS Fulfillment API v2 and Metering API), embedded so that
// the conformance command works without a checkout. Each *.yaml file
// states one requirement (or one family of requirements, data-driven with
// `each`); `_*.yaml` files hold values the scenarios share, such as a
// valid order. The format is documented in
// conformance/README.md and conformance/scenario/scenario.schema.json.
// certify/ holds the certification suites package sandbox/certify reads
// (docs/certify.md).
package scenarios

import "embed"

// FS holds every scenario file.
//
//go:embed gitlab/*.yaml microsoft/*.yaml
var FS embed.FS

// Suites holds the certification suites, certify/<name>.yaml: what a
// session challenges a partner's client with and the verdicts it judges.
//
//go:embed certify/*.yaml
var Suites embed.FS
