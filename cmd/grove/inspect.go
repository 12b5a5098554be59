package main

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/versioning/persist"
)

func init() {
	register(&command{
		name: "inspect",
		args: "[-frame N] PATH",
		summary: "describe a snapshot or save directory: schema, modules, versions, entities, time\n\n" +
			"Prints the schema, modules, versions, entity counts and time marker of a snapshot file\n" +
			"(binary, XML or JSON) or of a save directory (its saves, then its newest save, or the\n" +
			"newest at or before -frame).",
		run: inspect,
	})
}

func inspect(c *cli, args []string) error {
	fs := c.flags(commands["inspect"])
	frame := fs.Uint64("frame", math.MaxUint64, "for a save directory: inspect the newest save at or before this frame")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want one PATH, got %d arguments", fs.NArg())
	}
	path := fs.Arg(0)
	src, err := load(path, *frame)
	if err != nil {
		return err
	}
	w := c.stdout
	if src.dir != nil {
		printSaves(w, path, src.saves)
		fmt.Fprintf(w, "\nsave at frame %d:\n", src.file.Frame)
	} else {
		fmt.Fprintf(w, "%s: %s snapshot, %s form, format %d, %d bytes", path, src.file.Kind, src.format, src.file.Format, src.size)
		if src.format == formatBin {
			fmt.Fprintf(w, ", checksum %08x", src.file.Checksum)
		}
		fmt.Fprintln(w)
		if src.file.Kind == persist.KindDelta {
			fmt.Fprintf(w, "delta against the save at frame %d (checksum %08x)\n", src.file.BaseFrame, src.file.BaseChecksum)
		}
	}
	printFile(w, src.file)
	return nil
}

func printSaves(w io.Writer, dir string, saves []persist.SaveInfo) {
	fmt.Fprintf(w, "%s: save directory, %d saves\n", dir, len(saves))
	for _, s := range saves {
		if s.Err != nil {
			fmt.Fprintf(w, "  %-24s DAMAGED: %v\n", s.Manifest, s.Err)
			continue
		}
		kind := "full"
		if s.Kind == persist.KindDelta {
			kind = fmt.Sprintf("delta on %d", s.Base)
		}
		fmt.Fprintf(w, "  frame %-10d now %-14v %-16s %10d bytes\n", s.Frame, s.Now, kind, s.Bytes())
		for _, f := range s.Files {
			fmt.Fprintf(w, "      %-32s %-5s %10d bytes  crc %08x  module %q\n", f.Name, f.Kind, f.Size, f.Checksum, f.Module)
		}
	}
}

func printFile(w io.Writer, f *persist.File) {
	fmt.Fprintf(w, "time: frame %d, now %v (%d ns)\n", f.Frame, f.Now, int64(f.Now))
	fmt.Fprintf(w, "schema: %d components\n", len(f.Schemas))
	for _, s := range f.Schemas {
		fmt.Fprintf(w, "  %s\n", describeSchema(s))
	}
	total := 0
	for i := range f.Modules {
		m := &f.Modules[i]
		fmt.Fprintf(w, "module %q:\n", m.Name)
		deps := "none"
		if len(m.Deps) > 0 {
			deps = strings.Join(m.Deps, ", ")
		}
		gc := "off"
		if m.GCAfter > 0 {
			gc = "after " + m.GCAfter.String() + " idle"
		}
		fmt.Fprintf(w, "  depends on %s; GC %s; rollback target %s; frames %d, missed %d, lost %d\n",
			deps, gc, fallback(m.Fallback), m.Frames, m.Missed, m.Lost)
		var split []string
		for _, wt := range m.Weights {
			split = append(split, fmt.Sprintf("v%d %.4g%%", wt.Version, 100*wt.Weight))
		}
		if len(split) == 0 {
			split = []string{"none"}
		}
		fmt.Fprintf(w, "  split %s; %d pins; %d key slots (%d free); %d queued commands\n",
			strings.Join(split, ", "), len(m.Pins), len(m.Gens), len(m.Free), len(m.Commands))
		n := 0
		for j := range m.Versions {
			v := &m.Versions[j]
			state := "loaded"
			switch {
			case v.Failed != "" && v.Loaded:
				state = "failed (loaded)"
			case v.Failed != "":
				state = "failed"
			case v.Idle:
				state = "idle"
			}
			names := make([]string, len(v.Components))
			for k, c := range v.Components {
				names[k] = f.Schemas[c.Schema].Name
			}
			line := fmt.Sprintf("  v%-3d %-16s %8d entities  [%s]", v.Number, state, v.World.Len(), strings.Join(names, " "))
			if v.Backup != nil {
				line += fmt.Sprintf("  backup of %d", v.Backup.Len())
			}
			if v.HasLogicState {
				line += fmt.Sprintf("  logic state %d bytes", len(v.LogicState))
			}
			fmt.Fprintln(w, line)
			if v.Failed != "" {
				fmt.Fprintf(w, "         failure: %s\n", v.Failed)
			}
			n += v.World.Len()
		}
		fmt.Fprintf(w, "  %d entities\n", n)
		total += n
	}
	fmt.Fprintf(w, "total: %d modules, %d entities, %d bytes of columns\n", len(f.Modules), total, f.DataBytes())
}

func fallback(v int) string {
	if v == 0 {
		return "default"
	}
	return fmt.Sprintf("v%d", v)
}

// describeSchema is a schema on one line: name, size, alignment, fields.
func describeSchema(s ecs.Schema) string {
	var fields []string
	for _, f := range s.Fields {
		d := f.Kind.String()
		if f.Count != 1 {
			d += fmt.Sprintf("[%d]", f.Count)
		}
		if f.Path != "" {
			d = f.Path + " " + d
		}
		d += fmt.Sprintf(" @%d", f.Offset)
		if f.NonFinite {
			d += " (non-finite allowed)"
		}
		fields = append(fields, d)
	}
	return fmt.Sprintf("%-16s size %-3d align %d  {%s}", s.Name, s.Size, s.Align, strings.Join(fields, ", "))
}
