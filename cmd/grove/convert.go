package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/grove-engine/grove/versioning/persist"
)

func init() {
	register(&command{
		name: "convert",
		args: "[-to xml|json|bin] [-frame N] [-dtd FILE] IN OUT",
		summary: "convert a snapshot between the binary form, XML and JSON\n\n" +
			"Converts a snapshot between the binary form and its XML and JSON text forms, in either\n" +
			"direction, from the schema the snapshot carries. IN is a file in any form (recognised\n" +
			"from its content) or a save directory (its newest save, or the newest at or before\n" +
			"-frame). -to defaults to OUT's extension (.xml, .json, anything else: bin). OUT \"-\" is\n" +
			"standard output; otherwise OUT is replaced only once it is complete. A text form is\n" +
			"checked against the schema; errors give the line, column and field. -dtd also writes\n" +
			"the XML form's DTD to FILE (the XML carries it in its internal subset anyway).",
		run: convert,
	})
}

func convert(c *cli, args []string) error {
	fs := c.flags(commands["convert"])
	to := fs.String("to", "", "output form: xml, json or bin")
	frame := fs.Uint64("frame", math.MaxUint64, "for a save directory: convert the newest save at or before this frame")
	dtd := fs.String("dtd", "", "also write the XML form's DTD to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("want IN and OUT, got %d arguments", fs.NArg())
	}
	in, out := fs.Arg(0), fs.Arg(1)
	form := format(*to)
	if form == "" {
		switch filepath.Ext(out) {
		case ".xml":
			form = formatXML
		case ".json":
			form = formatJSON
		default:
			form = formatBin
		}
	}
	if form != formatXML && form != formatJSON && form != formatBin {
		return usagef("-to %q: want xml, json or bin", *to)
	}
	src, err := load(in, *frame)
	if err != nil {
		return err
	}
	if src.file.Kind == persist.KindDelta && form != formatBin {
		return fmt.Errorf("%s is a delta: convert the save directory it belongs to instead (grove convert DIR OUT)", in)
	}
	write := func(w io.Writer) error {
		switch form {
		case formatXML:
			return persist.WriteXML(w, src.file)
		case formatJSON:
			return persist.WriteJSON(w, src.file)
		}
		return src.file.WriteBinary(w)
	}
	if err := writeOut(c, out, write); err != nil {
		return err
	}
	if *dtd != "" {
		return writeOut(c, *dtd, func(w io.Writer) error { return persist.WriteDTD(w, src.file) })
	}
	return nil
}

// writeOut writes a file through a temporary name, renamed over path once
// complete and synced ("-": standard output).
func writeOut(c *cli, path string, write func(io.Writer) error) (err error) {
	if path == "-" {
		bw := bufio.NewWriter(c.stdout)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(bw); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
