package main

// The conformance image is built FROM scratch: it has no /etc/ssl/certs and
// no /usr/share/zoneinfo. These imports build both into the binary, so the
// runner can certify an implementation served over HTTPS, and report times
// render the same in a container as on a developer's machine. The fallback
// roots are used only when the system has none; the embedded zone database
// only when the system's is missing.
import (
	_ "time/tzdata"

	_ "golang.org/x/crypto/x509roots/fallback"
)
