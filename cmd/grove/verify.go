package main

import (
	"fmt"

	"github.com/grove-engine/grove/internal/demogame"
	"github.com/grove-engine/grove/versioning/journal"
)

func init() {
	register(&command{
		name: "verify",
		args: "DIR",
		summary: "check a save directory's CRCs and replay its journal against its saves\n\n" +
			"Checks every save of DIR (its manifest, files and CRCs) and every journal segment\n" +
			"(header, block lengths and CRC-32C; a torn tail counts as damage), then replays the\n" +
			"journal from the oldest save to its end, checking every checksum the journal recorded\n" +
			"and comparing the replayed state with every later save. Exit status 0 only if\n" +
			"everything is intact and identical; 1 if anything is damaged or diverges, each problem\n" +
			"on standard error with the file and byte offset, or the frame, module and version.\n\n" +
			"A replay needs the game's versions: this tool knows Grove's own game (the demo's\n" +
			"module GameLogic with systems/v1, v2 and v3). A game verifies its saves in a tool of\n" +
			"its own, with journal.Verify and a factory that registers its versions.",
		run: verifyCmd,
	})
}

// gameFactory builds the engine a replay needs, with the game's modules and
// versions: Grove's own game, as the demo plays it (internal/demogame).
func gameFactory() journal.Factory { return demogame.Factory(&demogame.Fault{}) }

func verifyCmd(c *cli, args []string) error {
	fs := c.flags(commands["verify"])
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want one DIR, got %d arguments", fs.NArg())
	}
	dir := fs.Arg(0)
	rep, err := journal.Verify(dir, gameFactory(), journal.WithLogger(nil))
	if rep == nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s: %d saves, %d journal segments, %d records\n", dir, rep.Saves, rep.Segments, rep.Records)
	if rep.Frames > 0 || rep.Compared > 0 {
		fmt.Fprintf(c.stdout, "replayed %d frames from the save at frame %d: %d checksums matched, %d saves compared\n",
			rep.Frames, rep.From, rep.Checksums, rep.Compared)
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(c.stderr, "grove verify: %v\n", p)
	}
	if !rep.OK() {
		return fmt.Errorf("%s: %d problem(s): damaged or divergent", dir, len(rep.Problems))
	}
	fmt.Fprintln(c.stdout, "ok: intact and identical")
	return nil
}
