package tlscert

import (
	"net/http"
	"strconv"
)

// PEMContentType is the media type of /_sandbox/ca.pem.
const PEMContentType = "application/x-pem-file"

// CAHandler serves pem, the generated CA certificate, to GET and HEAD (the
// caller's router answers other methods). A new CA is made at every start,
// so the answer must not be cached.
func CAHandler(pem []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", PEMContentType)
		h.Set("Content-Disposition", `attachment; filename="`+caFileName+`"`)
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Length", strconv.Itoa(len(pem)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(pem)
		}
	})
}
