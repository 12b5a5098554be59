package journal_test

import (
	"fmt"
	"os"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/journal"
)

// newGame is the example's engine factory: module "game" with v1.
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

// A run journaled from a snapshot, then rebuilt bit for bit by a replay.
func Example() {
	dir, _ := os.MkdirTemp("", "journal")
	defer os.RemoveAll(dir)

	w, err := journal.Create(dir)
	if err != nil {
		panic(err)
	}
	e, _ := newGame(versioning.WithRecorder(w), versioning.WithChecksumEvery(10))
	_ = e.Load("game", 1)
	c := ecs.MakeColumns(v1.Layout, 3)
	ecs.Column(&c, scenario.Velocity)[1] = scenario.Vec2{X: 1}
	keys, _ := e.Spawn("game", 1, &c)

	snap, _ := e.Capture() // a save; persist writes it to disk
	_ = w.Checkpoint(snap.Frame)
	for range 60 {
		_ = versioning.SetComponent(e, "game", keys[0], scenario.Velocity, scenario.Vec2{Y: 2})
		_ = e.Tick(time.Second / 60)
	}
	_ = w.Close()

	j, _ := journal.Open(dir)
	defer j.Close()
	var st journal.ReplayStats
	replayed, err := journal.Replay(snap, j, journal.End, newGame, journal.ReplayInto(&st))
	if err != nil {
		panic(err)
	}
	want, _ := e.Checksum("game")
	got, _ := replayed.Checksum("game")
	fmt.Printf("replayed %d frames, %d checksums matched, identical: %v\n", st.Frames, st.Checksums, want[1] == got[1])
	// Output: replayed 60 frames, 6 checksums matched, identical: true
}
