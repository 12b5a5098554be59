// Command grove is the operator's tool for Grove's saves: it reads the
// binary snapshots ([persist] files), their XML and JSON text forms, and
// save directories, without the game's source.
//
// Usage:
//
//	grove inspect PATH
//	grove convert [-to xml|json|bin] [-frame N] [-dtd FILE] IN OUT
//	grove verify DIR
//	grove replay [-until FRAME] DIR OUT
//	grove help [COMMAND]
//
// PATH and IN may be a snapshot file (binary, XML or JSON: the format is
// recognised from the content) or a save directory (its newest save, or
// the newest at or before -frame). OUT "-" is standard output.
//
// Each command lives in a file of its own (inspect.go, convert.go, ...) and
// registers itself with [register]; main dispatches.
//
// Exit status:
//
//	0  success
//	1  failure: the input is damaged or invalid, or reading or writing failed
//	   (for verify: damage or divergence was found)
//	2  usage error: unknown command, bad flag or argument
//	3  internal error: a bug in grove (recovered; reported without a Go trace)
//
// Errors go to standard error, prefixed "grove:".
//
// [persist]: https://pkg.go.dev/github.com/grove-engine/grove/versioning/persist
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Exit statuses.
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitInternal = 3
)

// command is one subcommand.
type command struct {
	name    string
	args    string // synopsis of flags and arguments
	summary string
	// run executes the command. A *usageError exits 2, any other error 1.
	run func(c *cli, args []string) error
}

// commands holds the registered subcommands, by name.
var commands = map[string]*command{}

// register adds a subcommand; each command's file calls it from init.
func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("grove: command " + c.name + " registered twice")
	}
	commands[c.name] = c
}

// cli is what a command writes to.
type cli struct {
	stdout, stderr io.Writer
}

// usageError is a bad command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// flags returns a flag set for a command that reports errors as usage
// errors instead of exiting.
func (c *cli) flags(cmd *command) *flag.FlagSet {
	fs := flag.NewFlagSet("grove "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses a command's flags, turning flag errors into usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return usagef("help requested")
		}
		return usagef("%v", err)
	}
	return nil
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the command line args and returns the exit status. It never
// panics: a panic is reported as an internal error.
func run(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "grove: internal error (please report it): %v\n", r)
			code = exitInternal
		}
	}()
	c := &cli{stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		c.usage(stderr)
		return exitUsage
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "-help" || name == "--help" {
		if len(args) > 1 {
			if cmd, ok := commands[args[1]]; ok {
				fmt.Fprintf(stdout, "usage: grove %s %s\n\n%s\n", cmd.name, cmd.args, cmd.summary)
				return exitOK
			}
		}
		c.usage(stdout)
		return exitOK
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "grove: unknown command %q\n", name)
		c.usage(stderr)
		return exitUsage
	}
	err := cmd.run(c, args[1:])
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "grove %s: %v\nusage: grove %s %s\n", cmd.name, err, cmd.name, cmd.args)
		return exitUsage
	}
	fmt.Fprintf(stderr, "grove %s: %v\n", cmd.name, err)
	return exitFailure
}

func (c *cli) usage(w io.Writer) {
	fmt.Fprintln(w, "usage: grove COMMAND [ARGS]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		cmd := commands[n]
		fmt.Fprintf(w, "  %-8s %s\n", n, strings.SplitN(cmd.summary, "\n", 2)[0])
	}
	fmt.Fprintln(w, "\nexit status: 0 ok, 1 failure (damaged or invalid input, I/O), 2 usage, 3 internal error")
	fmt.Fprintln(w, "run 'grove help COMMAND' for a command's flags")
}
