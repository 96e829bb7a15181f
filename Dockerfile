# Images of marketplace-sandbox, both FROM scratch around one static binary:
#
#   --target sandbox      the sandbox (GitLab Marketplace API + /_sandbox control API)
#   --target conformance  the conformance runner, to certify any implementation
#
# Nothing is compiled in here: the binaries are built on the host with
# CGO_ENABLED=0 into bin/image/, and this file only copies them, so a build
# needs no base image and no registry. Build both with
#
#   testcontainers/build-images.sh     (what `make image` runs)
#
# The binaries embed CA roots (golang.org/x/crypto/x509roots/fallback) and
# the time zone database (time/tzdata), which scratch does not have.
# This file avoids BuildKit-only syntax (COPY --chmod, HEALTHCHECK
# --start-interval, a "# syntax" line that would pull a frontend image), so
# the legacy builder and BuildKit both build it.

ARG VERSION=dev

# conformance: `docker run --rm -v "$PWD/reports:/reports" IMAGE --target URL
# --junit /reports/junit.xml`. Exit codes: 0 passed, 1 failures, 2 usage,
# 3 target unreachable. CONFORMANCE_* variables configure it as well.
FROM scratch AS conformance
# COPY comes first in both stages: with --platform linux/arm64 the legacy
# builder gives an image made by COPY the platform asked for, but one made
# by ARG or LABEL on top of scratch the host's, and then refuses the next
# COPY ("does not match the specified platform").
COPY bin/image/conformance /conformance
ARG VERSION
LABEL org.opencontainers.image.title="marketplace-sandbox-conformance" \
      org.opencontainers.image.description="Conformance runner for GitLab's Marketplace API and Microsoft's SaaS Fulfillment and Metering APIs: scenarios over HTTP, webhooks received, JUnit/JSON/HTML reports" \
      org.opencontainers.image.source="https://github.com/marketplace-sandbox/marketplace-sandbox" \
      org.opencontainers.image.version="${VERSION}"
# scratch has no writable directory (not even /tmp): /reports belongs to
# the runner's user, so reports can be written and fetched with `docker cp`
# where a bind mount is not possible (docker-in-docker CI jobs). A mounted
# folder must be writable by 65532, or run with --user of its owner.
COPY --chown=65532:65532 bin/image/reports/ /reports/
WORKDIR /reports
USER 65532:65532
ENTRYPOINT ["/conformance"]

# sandbox (the default target): listens on 0.0.0.0:8080 inside the
# container. Configure it with SANDBOX_* variables, or mount a YAML file and
# point SANDBOX_CONFIG at it (SANDBOX_FIXTURES likewise for partners and
# catalogue). Prefer variables over flags: the HEALTHCHECK reads the same
# variables, so it probes the address the server really listens on.
FROM scratch AS sandbox
COPY bin/image/sandbox /sandbox
ARG VERSION
LABEL org.opencontainers.image.title="marketplace-sandbox" \
      org.opencontainers.image.description="A fake GitLab Customers Portal Marketplace API with a control API, for tests and CI" \
      org.opencontainers.image.source="https://github.com/marketplace-sandbox/marketplace-sandbox" \
      org.opencontainers.image.version="${VERSION}"
# 0.0.0.0 inside the container is reachable only where its port is
# published (-p 127.0.0.1:8080:8080 keeps it on the host's loopback), so the
# image runs the control API open on purpose; a sandbox shared by a team
# sets SANDBOX_CONTROL_TOKEN (or SANDBOX_CONTROL_TOKEN_FILE with a secret),
# which then guards it (docs/control-security.md).
ENV SANDBOX_ADDR=0.0.0.0:8080 \
    SANDBOX_CONTROL_OPEN=true
EXPOSE 8080
USER 65532:65532
# Docker runs the first probe one interval after the start (Engine 25+ can
# probe sooner with --start-interval, which older engines reject): compose
# files that gate on service_healthy may shorten the interval, see compose.yaml.
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=3 \
    CMD ["/sandbox", "healthcheck"]
ENTRYPOINT ["/sandbox"]
