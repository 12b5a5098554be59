package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/grove-engine/grove/versioning/journal"
	"github.com/grove-engine/grove/versioning/persist"
)

func init() {
	register(&command{
		name: "replay",
		args: "[-until FRAME] DIR OUT",
		summary: "write the state at a frame, rebuilt from a save directory's saves and journal\n\n" +
			"Restores the newest save of DIR at or before FRAME and replays DIR's journal up to\n" +
			"FRAME (the state right after that frame's tick; end: the end of the journal), checking\n" +
			"the checksums the journal recorded, then writes the state to OUT as a binary snapshot\n" +
			"(\"-\": standard output), which inspect and convert read. Like verify, it knows Grove's\n" +
			"own game; a game replays its saves with journal.Load and its own versions.",
		run: replayCmd,
	})
}

func replayCmd(c *cli, args []string) error {
	fs := c.flags(commands["replay"])
	until := fs.String("until", "end", "the frame whose state to write, or end")
	if err := parse(fs, args); err != nil {
		return err
	}
	frame := journal.End
	if *until != "end" {
		f, err := strconv.ParseUint(*until, 10, 64)
		if err != nil {
			return usagef("-until %q: want a frame number or end", *until)
		}
		frame = f
	}
	if fs.NArg() != 2 {
		return usagef("want DIR and OUT, got %d arguments", fs.NArg())
	}
	dir, out := fs.Arg(0), fs.Arg(1)
	var st journal.ReplayStats
	e, err := journal.Load(dir, frame, gameFactory(), journal.ReplayInto(&st), journal.WithLogger(nil))
	if err != nil {
		return err
	}
	s, err := e.Capture()
	if err != nil {
		return err
	}
	if err := writeOut(c, out, func(w io.Writer) error { return persist.WriteSnapshot(w, s) }); err != nil {
		return err
	}
	if out != "-" {
		fmt.Fprintf(c.stdout, "%s: from the save at frame %d, replayed %d frames to frame %d (%d checksums matched); wrote %s, %d entities\n",
			dir, st.From, st.Frames, st.To, st.Checksums, out, s.Entities())
	}
	return nil
}
