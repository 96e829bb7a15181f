package settings

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var durationType = reflect.TypeOf(time.Duration(0))
var timeType = reflect.TypeOf(time.Time{})

// seconds is a plain number of seconds as durations may be written: digits,
// an optional fraction and sign, nothing else (no exponent, hex, Inf, NaN,
// which strconv.ParseFloat would take and turn into nonsense durations).
var seconds = regexp.MustCompile(`^[-+]?[0-9]+(\.[0-9]+)?$`)

// parseDuration reads a duration as Go writes it ("90s", "1h30m") or as a
// plain number of seconds; a value beyond what a time.Duration holds
// (about 292 years) is refused rather than wrapped around.
func parseDuration(text string) (time.Duration, error) {
	if seconds.MatchString(text) {
		d, err := time.ParseDuration(text + "s")
		if err != nil {
			return 0, fmt.Errorf("%q is out of range for a duration (at most 2562047h)", text)
		}
		return d, nil
	}
	d, err := time.ParseDuration(text)
	switch {
	case err == nil:
		return d, nil
	case goDuration.MatchString(text) && !strings.Contains(err.Error(), "unit"):
		return 0, fmt.Errorf("%q is out of range for a duration (at most 2562047h)", text)
	}
	return 0, fmt.Errorf("%q is not a duration (write 90s, 30m, 2h or a number of seconds; units: ns, us, ms, s, m, h)", text)
}

// goDuration is the shape of a duration as Go writes it.
var goDuration = regexp.MustCompile(`^[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)[a-zµμ]+)+$`)

// parseTime reads an RFC 3339 time with its zone. Relative words
// ("yesterday", "now") and dates without a time are refused: a clock that
// silently started somewhere else is the bug this refuses.
func parseTime(text string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time (write 2030-01-02T15:04:05Z, with the zone)", text)
	}
	return t, nil
}

// parseBool takes true or false in any case, and nothing else: yes, on, 1
// and t mean true in some tools and a string in others.
func parseBool(text string) (bool, error) {
	switch strings.ToLower(text) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", text)
}

// decimal is a whole number in decimal without leading zeros, which YAML
// 1.1 would read as octal.
var decimal = regexp.MustCompile(`^[-+]?(0|[1-9][0-9]*)$`)

func parseInt(text string, v reflect.Value) (int64, error) {
	if !decimal.MatchString(text) {
		return 0, fmt.Errorf("%q is not a whole number in decimal", text)
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || v.OverflowInt(n) {
		return 0, fmt.Errorf("%s is out of range (%s)", text, intRange(v))
	}
	return n, nil
}

func intRange(v reflect.Value) string {
	bits := v.Type().Bits()
	return fmt.Sprintf("%d to %d", -(int64(1) << (bits - 1)), int64(1<<(bits-1)-1))
}

// setValue parses text into v: the one reading of a setting's text shared
// by the environment, the flags and the YAML file's scalars.
func setValue(v reflect.Value, text string) error {
	switch {
	case v.Type() == durationType:
		d, err := parseDuration(text)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
		return nil
	case v.Type() == timeType:
		t, err := parseTime(text)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(t))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(text)
	case reflect.Bool:
		b, err := parseBool(text)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := parseInt(text, v)
		if err != nil {
			return err
		}
		v.SetInt(n)
	case reflect.Float32, reflect.Float64:
		if !seconds.MatchString(text) {
			return fmt.Errorf("%q is not a decimal number", text)
		}
		f, err := strconv.ParseFloat(text, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%s is out of range", text)
		}
		v.SetFloat(f)
	case reflect.Slice:
		return setList(v, text)
	default:
		return fmt.Errorf("unsupported setting type %s", v.Type())
	}
	return nil
}

// setList reads a comma-separated list, as environment variables and
// flags write one.
func setList(v reflect.Value, text string) error {
	parts := strings.Split(text, ",")
	out := reflect.MakeSlice(v.Type(), 0, len(parts))
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		if err := setValue(elem, p); err != nil {
			return err
		}
		out = reflect.Append(out, elem)
	}
	v.Set(out)
	return nil
}

// typeName is how help and messages call a setting's type.
func typeName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "duration"
	case t == timeType:
		return "time"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "int"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice:
		return "list"
	}
	return "string"
}

func format(v reflect.Value) string {
	switch {
	case v.Type() == durationType:
		return time.Duration(v.Int()).String()
	case v.Type() == timeType:
		t := v.Interface().(time.Time)
		if t.IsZero() {
			return ""
		}
		return t.Format(time.RFC3339)
	case v.Kind() == reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = fmt.Sprint(v.Index(i).Interface())
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v.Interface())
}
