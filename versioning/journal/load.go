package journal

import (
	"errors"
	"fmt"
	"os"

	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/persist"
)

// Load returns the engine as it was right after Tick number frame: the
// seed's load(time). It takes the newest save of dir ([persist.Store]) at
// or before frame — an older one, with a warning, if that one is damaged —
// and replays the journal of dir from it ([Replay]); [End] gives the state
// at the end of the journal. newEngine builds the game's engine (see
// [Factory]). It fails with [ErrNoSnapshot] if dir holds no loadable save
// at or before frame.
//
// To continue a journal after a crash, Load it to [End] with [Forward]
// set to a [Writer] created on dir: the engine then goes on recording
// where the journal stopped.
//
// Options: [Forward], [ReplayInto], [WithConfigs], [WithLogger], [WithFS]
// (the journal's).
func Load(dir string, frame uint64, newEngine Factory, opts ...Option) (*versioning.Engine, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	if newEngine == nil {
		return nil, fmt.Errorf("journal: Load needs a factory")
	}
	st, saves, err := openSaves(dir)
	if err != nil {
		return nil, err
	}
	p, err := newPlayer(o, newEngine)
	if err != nil {
		return nil, err
	}
	var snap *versioning.Snapshot
	var last error
	for i := len(saves) - 1; i >= 0 && snap == nil; i-- {
		s := saves[i]
		if s.Frame > frame {
			continue
		}
		snap, err = loadSave(st, s, p.e)
		if err != nil {
			o.log.Warn("journal: a save cannot be loaded; trying an older one", "save", s.Manifest, "err", err)
			last = err
		}
	}
	if snap == nil {
		return nil, fmt.Errorf("%w at or before frame %d in %s%s", ErrNoSnapshot, frame, dir, because(last))
	}
	if err := p.restore(snap); err != nil {
		return nil, err
	}
	j, err := Open(dir, opts...)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	j.SkipTo(snap.Frame)
	if err := p.run(j, snap.Frame, frame); err != nil {
		return nil, err
	}
	return p.e, nil
}

func because(err error) string {
	if err == nil {
		return ""
	}
	return " (the last one failed: " + err.Error() + ")"
}

// loadSave loads one save (which checks its CRCs) and binds it to e.
func loadSave(st *persist.Store, s persist.SaveInfo, e *versioning.Engine) (*versioning.Snapshot, error) {
	if s.Err != nil {
		return nil, s.Err
	}
	f, err := st.Load(s.Frame)
	if err != nil {
		return nil, err
	}
	return f.Snapshot(e)
}

// openSaves opens dir's saves read-only and lists them by ascending frame
// ([persist.Store.Saves]): a load or a verification must not change the
// directory (a Store removes the temporary files it finds).
func openSaves(dir string) (*persist.Store, []persist.SaveInfo, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, nil, err
	}
	fsys, err := persist.DirFS(dir)
	if err != nil {
		return nil, nil, err
	}
	st, err := persist.NewStore(dir, persist.WithFS(readOnly{fsys}))
	if err != nil {
		return nil, nil, err
	}
	saves, err := st.Saves()
	if err != nil {
		return nil, nil, err
	}
	return st, saves, nil
}

// readOnly is a persist.FS that refuses every change.
type readOnly struct{ persist.FS }

var errReadOnly = errors.New("journal: the save directory is opened read-only")

func (readOnly) Create(string) (persist.WFile, error) { return nil, errReadOnly }
func (readOnly) Rename(string, string) error          { return errReadOnly }
func (readOnly) Remove(string) error                  { return nil }
func (readOnly) SyncDir() error                       { return nil }

// Save saves e through saver ([persist.Saver.Save]: the capture happens
// now, the writing in the background) and marks the journal at that point
// ([Writer.Checkpoint]), so that [Load] and [Replay] start from the save
// right after it. Call it at a frame boundary, on the goroutine that makes
// the engine's control calls. If the saver refuses the save (busy, closed,
// the capture failed) the journal is not marked and the error is returned.
func (w *Writer) Save(saver *persist.Saver, e *versioning.Engine) error {
	if err := saver.Save(e); err != nil {
		return err
	}
	return w.Checkpoint(e.Frame())
}
