package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox"
	"github.com/marketplace-sandbox/marketplace-sandbox/sandbox/settings"
)

// command is one subcommand of the sandbox binary.
type command struct {
	name string
	// summary is the one line --help shows for it.
	summary string
	// synopsis is how it is called, after "sandbox".
	synopsis string
	// flags says whether it takes the settings' flags.
	flags bool
	run   func(ctx context.Context, args []string, env settings.Environment, stdout, stderr io.Writer) error
}

// commands lists every subcommand, in the order help shows them.
func commands() []command {
	return []command{
		{"serve", "run the sandbox (the default when no command is given)", "[serve] [flags]", true, serve},
		{"healthcheck", "exit 0 if the sandbox at --addr answers GET /_sandbox/health with 200, else 1 (for container health checks)", "healthcheck [flags]", true, healthcheck},
		{"version", "print the version, VCS revision and Go version of this build (--json for machines)", "version [--json]", false, version},
		{"settings", "print every setting (YAML key, environment variable, flag, default, meaning) as a Markdown table", "settings", false, printSettingsCommand},
		{"help", "show this help, or a command's: sandbox help <command>", "help [command]", false, helpCommand},
	}
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return names
}

func unknownCommand(name string) error {
	msg := fmt.Sprintf("unknown command %q", name)
	if c := settings.Closest(name, commandNames()); c != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", c)
	}
	return usagef("%s\n%s", msg, commandList())
}

// commandList is the list of subcommands with one line each.
func commandList() string {
	var b strings.Builder
	b.WriteString("Commands:")
	for _, c := range commands() {
		fmt.Fprintf(&b, "\n  %-12s %s", c.name, c.summary)
	}
	return b.String()
}

// printHelp writes the help of the binary (name "serve") or of a command.
func printHelp(w io.Writer, c command) {
	if c.name == "serve" {
		fmt.Fprintln(w, "marketplace-sandbox: a fake GitLab Customers Portal Marketplace API with a /_sandbox control API.")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Usage: sandbox [command] [flags]")
		fmt.Fprintln(w)
		fmt.Fprintln(w, commandList())
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Run 'sandbox help <command>' or 'sandbox <command> --help' for one command.")
	} else {
		fmt.Fprintf(w, "Usage: sandbox %s\n\n%s\n", c.synopsis, strings.ToUpper(c.summary[:1])+c.summary[1:]+".")
	}
	if !c.flags {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every flag can also be set by its SANDBOX_* environment variable or its key in the YAML file")
	fmt.Fprintln(w, "named by --config; flags win over the environment, which wins over the file.")
	fmt.Fprintln(w, "\nFlags:")
	fmt.Fprintf(w, "  --%s string\n        YAML configuration file (env %s)\n", loader.ConfigFlag, loader.ConfigEnv())
	cfg := sandbox.DefaultConfig()
	for _, s := range settings.List(&cfg, loader.EnvPrefix) {
		def := s.Default
		if def == "" {
			def = "none"
		}
		fmt.Fprintf(w, "  --%s %s\n        %s (env %s, default %s)\n", s.Flag, s.Type, s.Usage, s.Env, def)
	}
	fmt.Fprintln(w, "\nExit status: 0 on success or after SIGTERM/Ctrl-C, 1 on failure, 2 for a wrong command line or configuration.")
}

// helpCommand is "sandbox help [command]".
func helpCommand(_ context.Context, args []string, _ settings.Environment, stdout, _ io.Writer) error {
	switch {
	case len(args) == 0:
		printHelp(stdout, commands()[0])
		return nil
	case len(args) > 1:
		return usagef("help takes one command, not %q\n%s", args, commandList())
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	}
	c, ok := lookup(name)
	if !ok {
		return unknownCommand(name)
	}
	printHelp(stdout, c)
	return nil
}

// printSettingsCommand is "sandbox settings": no flags, no arguments.
func printSettingsCommand(_ context.Context, args []string, _ settings.Environment, stdout, _ io.Writer) error {
	if done, err := noArguments("settings", args, stdout); done {
		return err
	}
	return printSettings(stdout)
}

// noArguments handles --help and refuses anything else for a command that
// takes no arguments; done says whether the command should stop.
func noArguments(name string, args []string, stdout io.Writer) (bool, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c, _ := lookup(name)
			printHelp(stdout, c)
			return true, nil
		}
		return true, usagef("%s: %v", name, err)
	}
	if fs.NArg() > 0 {
		return true, usagef("%s takes no arguments, not %q", name, fs.Args())
	}
	return false, nil
}
