package subscription

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends s as encoding/json.Marshal writes it, byte for byte
// (TestAppendJSONIsEncodingJSON and FuzzAppendJSON compare the two on
// every field), without reflection: a GET of one subscription is the
// call a publisher's code makes most, and encoding/json's reflection was
// the largest part of answering it. The error is Marshal's for a time
// outside the years 0 to 9999.
func (s Subscription) AppendJSON(b []byte) ([]byte, error) {
	var err error
	b = appendKey(b, '{', "id", s.ID)
	b = appendKey(b, ',', "publisherId", s.PublisherID)
	b = appendKey(b, ',', "offerId", s.OfferID)
	b = appendKey(b, ',', "name", s.Name)
	b = appendKey(b, ',', "saasSubscriptionStatus", string(s.SaasSubscriptionStatus))
	b = append(b, `,"beneficiary":`...)
	b = s.Beneficiary.appendJSON(b)
	b = append(b, `,"purchaser":`...)
	b = s.Purchaser.appendJSON(b)
	b = appendKey(b, ',', "planId", s.PlanID)
	if s.Quantity != 0 {
		b = append(b, `,"quantity":`...)
		b = strconv.AppendInt(b, int64(s.Quantity), 10)
	}
	b = append(b, `,"term":`...)
	if b, err = s.Term.appendJSON(b); err != nil {
		return nil, err
	}
	b = append(b, `,"autoRenew":`...)
	b = strconv.AppendBool(b, s.AutoRenew)
	b = append(b, `,"isTest":`...)
	b = strconv.AppendBool(b, s.IsTest)
	b = append(b, `,"isFreeTrial":`...)
	b = strconv.AppendBool(b, s.IsFreeTrial)
	b = append(b, `,"allowedCustomerOperations":`...)
	b = appendStrings(b, s.AllowedCustomerOperations)
	b = appendKey(b, ',', "sessionId", s.SessionID)
	b = appendKey(b, ',', "fulfillmentId", s.FulfillmentID)
	b = appendKey(b, ',', "storeFront", s.StoreFront)
	b = appendKey(b, ',', "sandboxType", s.SandboxType)
	b = append(b, `,"created":`...)
	if b, err = appendTime(b, s.Created); err != nil {
		return nil, err
	}
	b = appendKey(b, ',', "sessionMode", s.SessionMode)
	return append(b, '}'), nil
}

func (id Identity) appendJSON(b []byte) []byte {
	b = appendKey(b, '{', "emailId", id.EmailID)
	b = appendKey(b, ',', "objectId", id.ObjectID)
	b = appendKey(b, ',', "tenantId", id.TenantID)
	b = appendKey(b, ',', "puid", id.PUID)
	return append(b, '}')
}

func (t Term) appendJSON(b []byte) ([]byte, error) {
	var err error
	sep := byte('{')
	for _, d := range []struct {
		key string
		at  *time.Time
	}{{"startDate", t.StartDate}, {"endDate", t.EndDate}} {
		if d.at == nil {
			continue
		}
		b = append(b, sep, '"')
		b = append(b, d.key...)
		b = append(b, '"', ':')
		if b, err = appendTime(b, *d.at); err != nil {
			return nil, err
		}
		sep = ','
	}
	b = appendKey(b, sep, "termUnit", t.TermUnit)
	if t.ChargeDuration != "" {
		b = appendKey(b, ',', "chargeDuration", t.ChargeDuration)
	}
	return append(b, '}'), nil
}

// appendKey appends sep, the key (plain ASCII, written as is) and the
// string value.
func appendKey(b []byte, sep byte, key, value string) []byte {
	b = append(b, sep, '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

// appendStrings is a []string as encoding/json writes it: null when nil.
func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendTime is time.Time's MarshalJSON, appended.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		return nil, err
	}
	return append(b, '"'), nil
}

const hexDigits = "0123456789abcdef"

// appendString quotes s as encoding/json does by default: '"' and '\\'
// escaped, \b \f \n \r \t by name, other control bytes and the
// HTML-sensitive < > & as \u00XX, an invalid UTF-8 byte as \ufffd, and
// U+2028, U+2029 (line breaks to JavaScript) as \u2028, \u2029.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
