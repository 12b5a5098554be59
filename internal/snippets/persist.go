package snippets

import (
	"time"

	"github.com/grove-engine/grove/ecs"
	v1 "github.com/grove-engine/grove/systems/v1"
	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/journal"
	"github.com/grove-engine/grove/versioning/persist"
)

// newGame builds the engine a game registers at start-up: its modules and
// versions, with whatever options it is given (a replay adds its own).
func newGame(opts ...versioning.Option) (*versioning.Engine, error) {
	e, err := versioning.New(opts...)
	if err != nil {
		return nil, err
	}
	if err := e.AddModule("game"); err != nil {
		return nil, err
	}
	return e, e.Register("game", v1.Version{})
}

// SaveAndLoad is the README's persistence example: a game that saves every
// 5 seconds with a journal of everything in between, then rebuilds its
// state at frame 450 from the directory alone.
func SaveAndLoad(dir string) (*versioning.Engine, error) {
	// snippet:persist
	store, err := persist.NewStore(dir) // one file per module per save, crash-safe
	if err != nil {
		return nil, err
	}
	saver, err := persist.NewSaver(store) // encodes and writes on its own goroutine
	if err != nil {
		return nil, err
	}
	jw, err := journal.Create(dir) // every op between the saves
	if err != nil {
		return nil, err
	}
	e, err := newGame(versioning.WithRecorder(jw), versioning.WithChecksumEvery(60))
	if err != nil {
		return nil, err
	}
	if err := e.Load("game", 1); err != nil {
		return nil, err
	}
	cols := ecs.MakeColumns(v1.Layout, 1000)
	if _, err := e.Spawn("game", 1, &cols); err != nil {
		return nil, err
	}
	for frame := 1; frame <= 600; frame++ { // the game loop
		if err := e.Tick(time.Second / 60); err != nil {
			return nil, err
		}
		if frame%300 == 0 { // every 5 s: the frame stalls only for the copy
			if err := jw.Save(saver, e); err != nil {
				return nil, err
			}
		}
	}
	if err := saver.Close(); err != nil { // waits for the saves in flight
		return nil, err
	}
	if err := jw.Close(); err != nil {
		return nil, err
	}
	// After a crash: the state right after frame 450, from the newest save
	// at or before it and the journal, bit-identical to the original.
	return journal.Load(dir, 450, newGame)
	// end snippet
}
