package microsoft

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Forgeries a webhook rule can send (forge): an extra copy of a real
// webhook, delivered after it, that did not come from Microsoft, so that
// a publisher can show that its receiver refuses what it must not trust
// (docs/microsoft.md §6: the receiver validates the JWT; reference
// microsoft-saas.md "Webhook authentication"). The copy names an
// operation that does not exist, so a publisher that acted on it would
// be seen acting on an operation Microsoft never started.
const (
	// ForgeSignature signs the copy as usual, then breaks the signature.
	ForgeSignature = "signature"
	// ForgeAudience signs the copy properly for another app (aud).
	ForgeAudience = "audience"
)

var forgeries = []string{ForgeSignature, ForgeAudience}

// forgedAudience is the app id a ForgeAudience copy is addressed to: no
// publisher's.
const forgedAudience = "00000000-0000-4000-8000-00000000f04e"

// forgery says which copy of a webhook is forged, and how.
type forgery struct {
	// kind is ForgeSignature or ForgeAudience; "" for a webhook no forge
	// rule matched.
	kind string
	rule string
	// copy is the outbound copy number of the forged delivery.
	copy int
}

func (f forgery) forges(copy int) bool { return f.kind != "" && copy == f.copy }

// effect is how the journal names the forgery, as the fault of the entry.
func (f forgery) effect() string { return "forge:" + f.kind }

// forgedOperationID is the operation id the forged copy of the webhook
// with this id names: stable (so every attempt and the journal agree),
// GUID-shaped and never an operation of the sandbox.
func forgedOperationID(webhookID string) string {
	sum := sha256.Sum256([]byte("forged " + webhookID))
	h := fmt.Sprintf("%x", sum[:16])
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
}

// forgedBody is the webhook body with its operation id replaced.
func forgedBody(body []byte, w webhook) []byte {
	if w.operationID == "" {
		return body
	}
	return bytes.ReplaceAll(body, []byte(`"`+w.operationID+`"`), []byte(`"`+forgedOperationID(w.id)+`"`))
}

// forge makes req the forged copy: its body names the made-up operation,
// its JWT is broken or addressed to another app.
func (s *outboundSender) forge(req *http.Request, w webhook, tenantID, audience string) error {
	body := forgedBody(w.body, w)
	req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	if w.forge.kind == ForgeAudience {
		audience = forgedAudience
	}
	token, err := s.m.opts.signer.SignWebhook(tenantID, audience)
	if err != nil {
		return fmt.Errorf("signing the webhook: %w", err)
	}
	if w.forge.kind == ForgeSignature {
		token = breakSignature(token)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return nil
}

// breakSignature replaces a JWT's signature with one of the same length
// that no key made.
func breakSignature(token string) string {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return token
	}
	sig, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil || len(sig) == 0 {
		return token
	}
	for j := range sig {
		sig[j] ^= 0x5a
	}
	return token[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
}
