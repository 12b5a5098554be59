package journal

import (
	"bytes"
	"fmt"
	"maps"
	"slices"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/versioning"
)

// Difference is where two snapshots of an engine differ: the module and
// version (0 when the difference is not in one version), and what.
type Difference struct {
	Module  string
	Version int
	What    string
}

// Compare returns the first difference between two snapshots, or nil if
// they hold the same state: time, frame, every module's settings, split,
// pins, key table, queued commands and counters, and every version's
// state, logic state and world, bit for bit. Nil and empty slices and maps
// are the same; a failed version's message is not compared, only that it
// failed.
func Compare(want, got *versioning.Snapshot) *Difference {
	switch {
	case want.Frame != got.Frame:
		return &Difference{What: fmt.Sprintf("frame %d, want %d", got.Frame, want.Frame)}
	case want.Now != got.Now:
		return &Difference{What: fmt.Sprintf("time %v, want %v", got.Now, want.Now)}
	case len(want.Modules) != len(got.Modules):
		return &Difference{What: fmt.Sprintf("%d modules, want %d", len(got.Modules), len(want.Modules))}
	}
	for i := range want.Modules {
		if d := compareModule(&want.Modules[i], &got.Modules[i]); d != nil {
			return d
		}
	}
	return nil
}

func compareModule(w, g *versioning.ModuleSnapshot) *Difference {
	diff := func(what string, args ...any) *Difference {
		return &Difference{Module: w.Name, What: fmt.Sprintf(what, args...)}
	}
	switch {
	case w.Name != g.Name:
		return diff("module %q, want %q", g.Name, w.Name)
	case !slices.Equal(w.Deps, g.Deps) || w.GCAfter != g.GCAfter || w.Fallback != g.Fallback || w.Policy != g.Policy:
		return diff("options differ")
	case !maps.Equal(w.Weights, g.Weights):
		return diff("split %v, want %v", g.Weights, w.Weights)
	case !maps.Equal(w.Pins, g.Pins):
		return diff("%d pins differ from the %d wanted", len(g.Pins), len(w.Pins))
	case !slices.Equal(w.Gens, g.Gens) || !slices.Equal(w.Free, g.Free):
		return diff("key table differs")
	case w.Dirty != g.Dirty || w.Frames != g.Frames || w.Missed != g.Missed || w.Lost != g.Lost:
		return diff("counters (frames %d, missed %d, lost %d), want (%d, %d, %d)", g.Frames, g.Missed, g.Lost, w.Frames, w.Missed, w.Lost)
	case !slices.EqualFunc(w.Commands, g.Commands, func(a, b versioning.CommandSnapshot) bool {
		return a.Key == b.Key && a.Component == b.Component && a.Name == b.Name && bytes.Equal(a.Payload, b.Payload)
	}):
		return diff("queued commands differ")
	case len(w.Versions) != len(g.Versions):
		return diff("%d versions loaded or failed, want %d", len(g.Versions), len(w.Versions))
	}
	for j := range w.Versions {
		wv, gv := &w.Versions[j], &g.Versions[j]
		if what := compareVersion(wv, gv); what != "" {
			return &Difference{Module: w.Name, Version: wv.Number, What: what}
		}
	}
	return nil
}

func compareVersion(w, g *versioning.VersionSnapshot) string {
	switch {
	case w.Number != g.Number:
		return fmt.Sprintf("v%d where v%d was", g.Number, w.Number)
	case w.Loaded != g.Loaded || (w.Failed == "") != (g.Failed == ""):
		return fmt.Sprintf("loaded %v failed %v, want loaded %v failed %v", g.Loaded, g.Failed != "", w.Loaded, w.Failed != "")
	case !ecs.Equal(&w.Columns, &g.Columns):
		return fmt.Sprintf("world differs (%d entities, checksum %#08x; want %d, %#08x)", g.Columns.Len(), g.Columns.Checksum(), w.Columns.Len(), w.Columns.Checksum())
	case (w.Backup == nil) != (g.Backup == nil) || (w.Backup != nil && !ecs.Equal(w.Backup, g.Backup)):
		return "backup differs"
	case w.HasLogicState != g.HasLogicState || !bytes.Equal(w.LogicState, g.LogicState):
		return "logic state differs"
	case w.LoadedAt != g.LoadedAt || w.IdleFrom != g.IdleFrom || w.Idle != g.Idle || w.SinceBackup != g.SinceBackup:
		return "lifecycle clocks differ"
	case !slices.Equal(w.StepTimes, g.StepTimes) || !slices.Equal(w.StepFailed, g.StepFailed) || w.Consecutive != g.Consecutive:
		return "failure-policy log differs"
	}
	return ""
}
