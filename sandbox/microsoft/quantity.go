package microsoft

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/fixtures"
)

// Quantities (seats) arrive as JSON numbers in the fulfillment API's
// bodies (an int64 in Microsoft's file) and in the control API's. Two
// mistakes must get two different answers: a value that is not a whole
// number (1.5, "5", true) is of the wrong type, while a whole number too
// large or too small (-1, 99999999999, 1e30, 2^53+1) is of the right type
// and out of the plan's range. Decoding into int32 or int64 conflates
// them, and decoding into float64 rounds 2^53+1; wholeNumber reads the
// literal itself.

// quantityCeiling is where wholeNumber saturates: no plan comes near it
// (fixtures.MaxSeats), and every value up to it is exact in an int64.
const quantityCeiling int64 = 1_000_000_000_000_000_000

// wholeNumber reads a JSON value as a whole number, exactly: ok is false
// for anything else (a string, a fraction, true, an object, null). A whole
// number written with an exponent or a zero fraction (1e2, 5.0) counts;
// one at or beyond ±quantityCeiling comes back as ±quantityCeiling, so
// that any range check refuses it as out of range.
func wholeNumber(raw json.RawMessage) (n int64, ok bool) {
	lit := string(bytes.TrimSpace(raw))
	negative := strings.HasPrefix(lit, "-")
	lit = strings.TrimPrefix(lit, "-")
	mantissa, exponent, hasExponent := strings.Cut(strings.ToLower(lit), "e")
	intPart, fraction, _ := strings.Cut(mantissa, ".")
	if intPart == "" || !allDigits(intPart) || !allDigits(fraction) {
		return 0, false
	}
	exp := 0
	if hasExponent {
		e, valid := readExponent(exponent, len(lit)+19)
		if !valid {
			return 0, false
		}
		exp = e
	}
	digits := strings.TrimLeft(intPart+fraction, "0")
	if digits == "" {
		return 0, true
	}
	exp -= len(fraction)
	trimmed := strings.TrimRight(digits, "0")
	exp += len(digits) - len(trimmed)
	switch {
	case exp < 0:
		return 0, false // a fraction, however small
	case len(trimmed)+exp > 18:
		n = quantityCeiling
	default:
		n, _ = strconv.ParseInt(trimmed, 10, 64)
		for range exp {
			n *= 10
		}
	}
	if negative {
		n = -n
	}
	return n, true
}

// readExponent reads an exponent's digits (with an optional sign),
// clamping one beyond ±limit to ±limit. A clamped exponent only decides
// "out of range" or "a fraction", and does so rightly as long as limit
// exceeds the literal's digits by more than quantityCeiling's 18: a fixed
// clamp (it was 10^6) let a literal of more digits than that, which a
// 1 MiB body holds, turn 10^-999999990 into 10 and a huge number into a
// fraction.
func readExponent(text string, limit int) (int, bool) {
	sign := 1
	switch {
	case strings.HasPrefix(text, "-"):
		sign, text = -1, text[1:]
	case strings.HasPrefix(text, "+"):
		text = text[1:]
	}
	if text == "" || !allDigits(text) {
		return 0, false
	}
	text = strings.TrimLeft(text, "0")
	n, err := strconv.Atoi("0" + text)
	if err != nil || n > limit {
		n = limit
	}
	return sign * n, true
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// quantityField reads the optional quantity of a fulfillment API body.
func quantityField(obj map[string]json.RawMessage) (int64, bool, error) {
	raw, ok := obj["quantity"]
	if !ok {
		return 0, false, nil
	}
	n, whole := wholeNumber(raw)
	if !whole {
		return 0, true, newError(CodeBadRequest, "quantity", "quantity must be a whole number.")
	}
	return n, true, nil
}

// showQuantity writes a quantity for a message; a saturated one says so
// rather than pretend to be the value sent.
func showQuantity(q int64) string {
	switch {
	case q >= quantityCeiling:
		return "10^18 or more"
	case q <= -quantityCeiling:
		return "-10^18 or less"
	}
	return strconv.FormatInt(q, 10)
}

// seatsInRange refuses a quantity outside a per-seat plan's limits,
// saying which limit it passes (docs/microsoft.md §4: "quantity outside
// the plan's limits").
func seatsInRange(plan fixtures.Plan, q int64, hint string) error {
	var side string
	switch {
	case q > int64(plan.MaxQuantity):
		side = "above the maximum"
	case q < int64(plan.MinQuantity):
		side = "below the minimum"
	default:
		return nil
	}
	return newError(CodeBadRequest, "quantity", fmt.Sprintf("Quantity %s is %s of plan %s, which takes %d to %d seats%s.",
		showQuantity(q), side, plan.PlanID, plan.MinQuantity, plan.MaxQuantity, hint))
}

// clampInt narrows a whole number to an int the control API's range
// checks can refuse (they are all far inside int32).
func clampInt(n int64) int {
	return int(max(min(n, math.MaxInt32), math.MinInt32))
}
