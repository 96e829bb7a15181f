package settings

import (
	"errors"
	"regexp"
)

// origins says where each setting's value came from, so that a problem
// found by validation names its source: the file's line, the variable or
// the flag.
type origins struct {
	file *Places
	// by maps a key to "environment SANDBOX_…" or "flag --…", for values
	// that did not come from the file.
	by map[string]string
}

// explain places each problem of a Validate error at its source.
func (o *origins) explain(err error) []error {
	if err == nil {
		return nil
	}
	var out []error
	for _, e := range flatten(err) {
		out = append(out, o.place(e.Error()))
	}
	return out
}

func (o *origins) place(msg string) error {
	keys := []string{}
	if m := leadingKey.FindStringSubmatch(msg); m != nil {
		keys = append(keys, m[1])
	}
	keys = append(keys, keysIn.FindAllString(msg, -1)...)
	for _, k := range keys {
		if src, ok := o.by[k]; ok {
			return errors.New(src + ": " + msg)
		}
		if _, ok := o.file.exact(k); ok {
			return o.file.Explain(errors.New(msg))
		}
	}
	for _, k := range keys {
		if _, ok := o.file.Lookup(k); ok {
			return o.file.Explain(errors.New(msg))
		}
	}
	return errors.New(msg)
}

// serviceLink matches the variables Kubernetes (and Docker's legacy links)
// define for a service named like the prefix, "sandbox": SANDBOX_PORT,
// SANDBOX_SERVICE_HOST, SANDBOX_PORT_8080_TCP_ADDR… They are not
// misspelt settings, and a sandbox deployed as service "sandbox" gets them
// whether it wants them or not.
var serviceLink = regexp.MustCompile(`^(PORT|SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT_[0-9]+_(TCP|UDP|SCTP)(_(ADDR|PORT|PROTO))?|NAME|ENV_[A-Z0-9_]+)$`)

func isServiceLink(rest string) bool { return serviceLink.MatchString(rest) }
