package snippets

import (
	"context"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	v2 "github.com/grove-engine/grove/systems/v2"
	"github.com/grove-engine/grove/versioning"
)

// GameLoop is the README's game-loop example: it links Grove into a loop
// that ticks at 60 frames per second until ctx ends, with a v2 canary at
// 10%. It returns the first error.
func GameLoop(ctx context.Context) error {
	// snippet:gameloop
	e, err := versioning.New() // options: WithFrameBudget, WithLogger, WithWorkers, ...
	if err != nil {
		return err
	}
	if err := e.AddModule("game", versioning.AutoGC(10*time.Second)); err != nil {
		return err
	}
	for _, v := range []versioning.Version{v1.Version{}, v2.Version{}} {
		if err := e.Register("game", v); err != nil {
			return err
		}
	}
	if err := e.Load("game", 1); err != nil { // the first version takes all traffic
		return err
	}
	cols := ecs.MakeColumns(v1.Layout, 1000) // 1,000 entities in v1's layout
	for i := range cols.Len() {
		ecs.Column(&cols, scenario.Position)[i] = scenario.Vec2{X: float32(i), Y: 500}
	}
	if _, err := e.Spawn("game", 1, &cols); err != nil { // keys are assigned
		return err
	}
	if err := e.Load("game", 2); err != nil {
		return err
	}
	if err := e.SetSplit("game", map[int]float64{1: 0.9, 2: 0.1}); err != nil { // canary: exactly 10%
		return err
	}
	frame := time.NewTicker(time.Second / 60)
	defer frame.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-frame.C:
			if err := e.Tick(time.Second / 60); err != nil { // simulated time advances by dt
				return err
			}
		}
	}
	// end snippet
}
