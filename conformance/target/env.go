package target

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/conformance/scenario"
)

// envPrefix starts every variable the harness reads.
const envPrefix = "CONFORMANCE_"

// credentialEnvFields are the CONFORMANCE_<NAME>_* suffixes of a
// credential, with the field each sets.
var credentialEnvFields = []string{"CLIENT_ID", "CLIENT_SECRET", "SCOPE", "TRADING_PARTNER_ID"}

// EnvNames lists every CONFORMANCE_* variable the harness reads, sorted.
func EnvNames() []string {
	names := []string{envPrefix + "TARGET", envPrefix + "PRODUCT_ID", envPrefix + "CAPABILITIES", envPrefix + "CONTROL_TOKEN"}
	for _, c := range scenario.CredentialNames() {
		for _, f := range credentialEnvFields {
			names = append(names, envPrefix+strings.ToUpper(c)+"_"+f)
		}
	}
	slices.Sort(names)
	return names
}

// ReservedEnvNames are CONFORMANCE_* variables the project's own tooling
// sets for itself (the Makefile's address of the sandbox it starts, the
// image tag of the container scripts). The harness does not read them, and
// they are not misspellings, so CheckEnv lets them be.
func ReservedEnvNames() []string { return []string{envPrefix + "ADDR", envPrefix + "IMAGE"} }

// CheckEnv refuses, all at once, every CONFORMANCE_* variable of environ
// (KEY=VALUE strings, as os.Environ gives them) that the harness does not
// read, and every one it reads that is set to an empty value: a misspelt
// CONFORMANCE_CAPABILITES would otherwise be ignored without a word, and an
// empty CONFORMANCE_TARGET="" would silently mean the default target.
func CheckEnv(environ []string) error {
	known := EnvNames()
	var problems []error
	for _, kv := range environ {
		key, value, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(key, envPrefix) || slices.Contains(ReservedEnvNames(), key) {
			continue
		}
		switch {
		case !slices.Contains(known, key):
			problems = append(problems, &scenario.UnknownNameError{What: "environment variable", Name: key, Known: known})
		case strings.TrimSpace(value) == "":
			problems = append(problems, fmt.Errorf("%s is set but empty; unset it or give a value", key))
		}
	}
	return errors.Join(problems...)
}

// ApplyEnv overrides c with CONFORMANCE_* variables: CONFORMANCE_TARGET,
// CONFORMANCE_PRODUCT_ID, CONFORMANCE_CONTROL_TOKEN, CONFORMANCE_CAPABILITIES (comma separated, or
// "none" to declare that the target has none and skip discovery) and,
// per credential (CREATE, READONLY, SECOND), CONFORMANCE_<NAME>_CLIENT_ID,
// _CLIENT_SECRET, _SCOPE and _TRADING_PARTNER_ID. An unknown, empty or
// repeated capability is an error naming the known ones; CheckEnv refuses
// unknown variables and empty values.
func (c Config) ApplyEnv(getenv func(string) string) (Config, error) {
	set := func(dst *string, key string) {
		if v := getenv(key); v != "" {
			*dst = v
		}
	}
	set(&c.URL, envPrefix+"TARGET")
	set(&c.ProductID, envPrefix+"PRODUCT_ID")
	set(&c.ControlToken, envPrefix+"CONTROL_TOKEN")
	if v := getenv(envPrefix + "CAPABILITIES"); v != "" {
		caps, err := ParseCapabilities(v)
		if err != nil {
			return c, fmt.Errorf("%sCAPABILITIES=%q: %w", envPrefix, v, err)
		}
		c.Capabilities = caps
	}
	creds := map[string]Credential{}
	for k, v := range c.Credentials {
		creds[k] = v
	}
	for _, name := range scenario.CredentialNames() {
		cr := creds[name]
		prefix := envPrefix + strings.ToUpper(name) + "_"
		set(&cr.ClientID, prefix+"CLIENT_ID")
		set(&cr.ClientSecret, prefix+"CLIENT_SECRET")
		set(&cr.Scope, prefix+"SCOPE")
		set(&cr.TradingPartnerID, prefix+"TRADING_PARTNER_ID")
		if cr != (Credential{}) {
			creds[name] = cr
		}
	}
	c.Credentials = creds
	return c, nil
}
