package gitlab

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/requestid"
)

func TestEveryCodeHasAStatusAndRendersInTheEnvelope(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, code := range Codes() {
		t.Run(string(code), func(t *testing.T) {
			if code.Status() < 400 || code.Status() > 599 {
				t.Fatalf("status %d", code.Status())
			}
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req = req.WithContext(requestid.With(req.Context(), "rid-1"))
			writeError(rec, req, log, newError(code, "described"))
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if rec.Code != code.Status() || body["error"] != string(code) || body["error_description"] != "described" || body["request_id"] != "rid-1" {
				t.Errorf("%d %v", rec.Code, body)
			}
		})
	}
}

func TestUnexpectedErrorsAre500WithoutInternals(t *testing.T) {
	rec := httptest.NewRecorder()
	writeError(rec, httptest.NewRequest(http.MethodGet, "/", nil), slog.New(slog.NewTextHandler(io.Discard, nil)), errors.New("db password is hunter2"))
	if rec.Code != 500 || !json.Valid(rec.Body.Bytes()) || strings.Contains(rec.Body.String(), "hunter2") {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
}

func TestEveryFaultStatusHasAFittingCode(t *testing.T) {
	p := &Portal{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, status := range FaultStatuses() {
		rec := httptest.NewRecorder()
		p.WriteFault(rec, httptest.NewRequest(http.MethodGet, "/", nil), status, "")
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		code, _ := body["error"].(string)
		if rec.Code != status || Code(code).Status() != status || body["error_description"] == "" {
			t.Errorf("%d: %d %v", status, rec.Code, body)
		}
	}
	for status, want := range map[int]Code{429: CodeRateLimited, 503: CodeServiceUnavailable, 408: CodeRequestTimeout, 400: CodeBadRequest, 401: CodeUnauthorized} {
		if got, _ := faultCode(status); got != want {
			t.Errorf("faultCode(%d) = %s, want %s", status, got, want)
		}
	}
}
