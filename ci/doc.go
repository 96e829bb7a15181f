// Package ci holds no code of the product: it is where the tests of the
// one-line CI live. The GitHub Action (action.yml at the repository root)
// and the GitLab CI template (gitlab/marketplace-sandbox.gitlab-ci.yml) both
// call run-sandbox.sh; the tests here run the action's steps as GitHub's
// runner would (inputs and expressions substituted, GITHUB_ENV and
// GITHUB_OUTPUT files read back, `uses:` steps stood in for by checking
// their `with:`) and the template's job as GitLab's runner would (its
// service started from our image when Docker answers, from the binary
// otherwise), so that what is tested is what partners use (docs/ci.md).
package ci
