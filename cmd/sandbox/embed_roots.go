package main

// The container images are built FROM scratch: they have no /etc/ssl/certs
// and no /usr/share/zoneinfo. These imports build both into the binary, so
// HTTPS callouts (gitlab.zuora.callout_url, SMTP with STARTTLS) verify
// certificates and time zones load the same in a container as on a
// developer's machine. The fallback roots are used only when the system has
// none; the embedded zone database only when the system's is missing.
import (
	_ "time/tzdata"

	_ "golang.org/x/crypto/x509roots/fallback"
)
