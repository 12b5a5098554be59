package persist_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/persist"
)

// newGame is a tiny game: module "game", v1 loaded, two entities.
func newGame() *versioning.Engine {
	e, err := versioning.New(versioning.WithClock(func() time.Duration { return 0 }))
	if err != nil {
		panic(err)
	}
	must(e.AddModule("game"))
	must(e.Register("game", v1.Version{}))
	must(e.Load("game", 1))
	c := ecs.MakeColumns(v1.Layout, 2)
	copy(ecs.Column(&c, scenario.Position), []scenario.Vec2{{X: 1, Y: 2}, {X: 3, Y: 4}})
	copy(ecs.Column(&c, scenario.Velocity), []scenario.Vec2{{X: 0.5, Y: -1}, {X: 0, Y: 0}})
	_, err = e.Spawn("game", 1, &c)
	must(err)
	return e
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// A snapshot goes to the binary form and back into another engine, and
// reads as JSON without the game's types.
func Example() {
	e := newGame()
	must(e.Tick(time.Second))
	s, err := e.Capture()
	must(err)
	var bin bytes.Buffer
	must(persist.WriteSnapshot(&bin, s))

	f, err := persist.ReadFile(bin.Bytes())
	must(err)
	fmt.Println("frame", f.Frame, "entities", f.Entities())

	var text bytes.Buffer
	must(persist.WriteJSON(&text, f))
	for _, line := range strings.Split(text.String(), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), `["`) {
			fmt.Println(strings.TrimSpace(line))
		}
	}

	other := newGame() // the same modules and versions, any state
	back, err := f.Snapshot(other)
	must(err)
	must(other.Restore(back))
	fmt.Println("restored at frame", other.Frame())
	// Output:
	// frame 1 entities 2
	// ["0:1", {"position":{"x":1.5,"y":1}, "velocity":{"x":0.5,"y":-1}}],
	// ["1:1", {"position":{"x":3,"y":4}, "velocity":{"x":0,"y":0}}]
	// restored at frame 1
}

// A save directory keeps full saves and deltas; LoadAt returns the newest
// save at or before a frame.
func ExampleStore() {
	dir, err := os.MkdirTemp("", "saves")
	must(err)
	defer os.RemoveAll(dir)
	st, err := persist.NewStore(dir, persist.WithFullEvery(4))
	must(err)
	e := newGame()
	for range 3 {
		s, err := e.Capture()
		must(err)
		_, err = st.Save(s)
		must(err)
		must(e.Tick(time.Second / 60))
	}
	saves, err := st.Saves()
	must(err)
	for _, s := range saves {
		fmt.Println(s.Manifest, s.Kind, s.Files[0].Name)
	}
	f, err := st.LoadAt(1)
	must(err)
	fmt.Println("loaded frame", f.Frame)
	// Output:
	// save.0.manifest full game.0.grove
	// save.1.manifest delta game.1.delta.grove
	// save.2.manifest delta game.2.delta.grove
	// loaded frame 1
}
