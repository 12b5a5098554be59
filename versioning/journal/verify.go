package journal

import (
	"errors"
	"fmt"
	"io"

	"github.com/grove-engine/grove/versioning"
)

// VerifyReport is what [Verify] checked and found.
type VerifyReport struct {
	// Saves and Segments are the saves and journal segments checked;
	// Records the journal records read.
	Saves, Segments, Records int
	// From is the frame of the save the replay started from; Frames the
	// Ticks replayed; Checksums the recorded checksums matched; Compared
	// the saves compared with the replayed state.
	From      uint64
	Frames    int
	Checksums int
	Compared  int
	// Problems lists every damage and divergence found, in the order found:
	// errors wrapping [persist.ErrCorrupt] (a save), [ErrCorrupt] or
	// [ErrTornTail] (a *[CorruptError] naming the segment and offset),
	// [ErrDivergence] (a *[DivergenceError] naming the frame, module and
	// version), [ErrEngine] or [ErrIncomplete]. Empty means everything is
	// intact and the replay identical.
	Problems []error
}

// OK reports whether Verify found no problem.
func (r *VerifyReport) OK() bool { return len(r.Problems) == 0 }

// Verify checks a save directory: every save's files and CRCs (by loading
// it), every journal segment's header and every block's length and CRC-32C
// (strictly: a torn tail is a problem here), and then replays the journal
// from the oldest loadable save to its end ([Replay]), checking every
// recorded checksum and comparing the replayed state with every later save
// at its checkpoint ([Compare]). newEngine builds the game's engine (see
// [Factory]); a game verifies its saves with its own factory.
//
// It returns the report and, if it found problems, the first one (the
// report lists them all). A directory without a journal verifies its saves
// only; one with neither saves nor a journal is a problem ([ErrNoSnapshot]),
// and a directory that does not exist an error.
//
// Options: [WithConfigs], [WithLogger], [WithFS] (the journal's).
func Verify(dir string, newEngine Factory, opts ...Option) (*VerifyReport, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	rep := &VerifyReport{}
	st, saves, err := openSaves(dir)
	if err != nil {
		return nil, err
	}
	p, err := newPlayer(o, newEngine)
	if err != nil {
		return nil, err
	}
	// The saves.
	// (Only the frames of the good ones are kept: a save is loaded again
	// when the replay reaches it, so memory holds one save at a time.)
	good := map[uint64]bool{}
	var first *versioning.Snapshot
	for _, s := range saves {
		rep.Saves++
		snap, err := loadSave(st, s, p.e)
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Errorf("save %s: %w", s.Manifest, err))
			continue
		}
		good[s.Frame] = true
		if first == nil {
			first = snap
		}
	}
	// The journal, strictly.
	checkpoints := map[uint64]int{}
	j, err := Open(dir, append(opts, Strict(true))...)
	if err != nil {
		return nil, err
	}
	rep.Segments = len(j.Segments())
	var damage *CorruptError
	for {
		rec, err := j.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			rep.Problems = append(rep.Problems, err)
			errors.As(err, &damage)
			break
		}
		rep.Records++
		if rec.Checkpoint != nil {
			checkpoints[rec.Frame()]++
		}
	}
	_ = j.Close()
	if rep.Segments == 0 {
		if rep.Saves == 0 {
			rep.Problems = append(rep.Problems, fmt.Errorf("%w: %s holds no save and no journal", ErrNoSnapshot, dir))
		}
		return rep, rep.first()
	}
	if first == nil {
		rep.Problems = append(rep.Problems, fmt.Errorf("%w in %s to replay the journal from", ErrNoSnapshot, dir))
		return rep, rep.first()
	}
	// The replay.
	seen := map[uint64]int{}
	p.o.onCheckpoint = func(e *versioning.Engine, cp *Checkpoint, rec *Record) error {
		seen[cp.Frame]++
		if !good[cp.Frame] || seen[cp.Frame] != checkpoints[cp.Frame] {
			return nil
		}
		f, err := st.Load(cp.Frame)
		if err != nil {
			return err
		}
		want, err := f.Snapshot(e)
		if err != nil {
			return &DivergenceError{Frame: cp.Frame, What: "the save does not bind to the replayed engine", Err: err}
		}
		got, err := p.capture()
		if err != nil {
			return err
		}
		if d := Compare(want, got); d != nil {
			return &DivergenceError{Frame: cp.Frame, Module: d.Module, Version: d.Version,
				What: fmt.Sprintf("the replayed state differs from save %d: %s", cp.Frame, d.What)}
		}
		rep.Compared++
		return nil
	}
	if err := p.restore(first); err != nil {
		rep.Problems = append(rep.Problems, err)
		return rep, rep.first()
	}
	rep.From = first.Frame
	j, err = Open(dir, opts...)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	j.SkipTo(first.Frame)
	if err := p.run(j, first.Frame, End); err != nil {
		var ce *CorruptError
		if !(errors.As(err, &ce) && damage != nil && ce.File == damage.File && ce.Offset == damage.Offset) {
			rep.Problems = append(rep.Problems, err)
		}
	}
	rep.Frames, rep.Checksums = p.stats.Frames, p.stats.Checksums
	return rep, rep.first()
}

func (r *VerifyReport) first() error {
	if len(r.Problems) == 0 {
		return nil
	}
	return r.Problems[0]
}

// capture is the replayed engine's state with the recorded GC thresholds
// (the replay runs with automatic GC off).
func (p *player) capture() (*versioning.Snapshot, error) {
	s, err := p.e.Capture()
	if err != nil {
		return nil, err
	}
	for i := range s.Modules {
		s.Modules[i].GCAfter = p.gc[s.Modules[i].Name]
	}
	return s, nil
}
