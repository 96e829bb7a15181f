package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/buildinfo"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/settings"
)

// version is "sandbox version [--json]": which build this binary is, as
// GET /_sandbox reports it under build. It reads no configuration, so it
// answers even where the configuration would be refused (a container
// whose SANDBOX_* variables are wrong).
func version(_ context.Context, args []string, _ settings.Environment, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c, _ := lookup("version")
			printHelp(stdout, c)
			return nil
		}
		return usagef("version: %v", err)
	}
	if fs.NArg() > 0 {
		return usagef("version takes no arguments, not %q (only --json)", fs.Args())
	}
	info := buildinfo.Read()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	printVersion(stdout, info)
	return nil
}

// printVersion writes info for a person.
func printVersion(w io.Writer, info buildinfo.Info) {
	fmt.Fprintf(w, "marketplace-sandbox %s\n", info.Version)
	revision := info.Revision
	switch {
	case revision == "":
		revision = "unknown (built without VCS information)"
	case info.Modified:
		revision += " (with uncommitted changes)"
	}
	fmt.Fprintf(w, "  revision: %s\n", revision)
	if info.Time != nil {
		fmt.Fprintf(w, "  commit time: %s\n", info.Time.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(w, "  go: %s %s\n", info.GoVersion, info.Platform)
}
