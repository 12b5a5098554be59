package deploy_test

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	v2 "github.com/grove-engine/grove/systems/v2"
	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/deploy"
)

// Example runs a canary of v2 over v1 from a game loop: Deploy once, then
// Step after every Tick. The orchestrator advances 10→30→50→80% every 5s
// while the analysis passes, promotes to 100% once the canary has been
// watched for 30s, and the module's GC then collects v1.
func Example() {
	// snippet:deploy-canary
	// No wall-time budget, so that this example's output does not depend on
	// the machine (a game keeps the default).
	e, _ := versioning.New(versioning.WithFrameBudget(0))
	// Failed steps up to 5% are recovered without failing the version, so
	// that the rollout's circuit breaker judges the error rate.
	_ = e.AddModule("game", versioning.AutoGC(10*time.Second), versioning.Tolerate(versioning.FailurePolicy{MaxRate: 0.05}))
	_ = e.Register("game", v1.Version{})
	_ = e.Register("game", v2.Version{})
	_ = e.Load("game", 1)
	_, _ = e.Spawn("game", 1, spawn(1000))

	o, _ := deploy.New(e)
	o.Subscribe(func(r deploy.Record) {
		fmt.Printf("%5.1fs %-8v v2 at %3.0f%%\n", r.SimTime.Seconds(), r.Action, 100*r.Weights[2])
	})
	_ = o.Deploy(deploy.Spec{
		Module:    "game",
		Candidate: 2,
		Strategy:  deploy.Canary{Weights: []float64{10, 30, 50, 80}, Interval: 5 * time.Second},
		// Step time depends on the machine: this example judges errors
		// only, so that its output does not. Leave StepTime at its default
		// (at most 1.2× the baseline's) in a game.
		Analysis: deploy.Analysis{StepTime: deploy.Check{Off: true}},
	})
	for range 45 * 60 { // the game loop: 45 s at 60 frames per second
		_ = e.Tick(time.Second / 60)
		_ = o.Step()
	}
	s, _ := o.Status("game")
	fmt.Println(s.Phase, s.Weights)
	// end snippet

	// Output:
	//   0.0s start    v2 at   0%
	//   0.0s advance  v2 at  10%
	//   5.0s advance  v2 at  30%
	//  10.0s advance  v2 at  50%
	//  15.1s advance  v2 at  80%
	//  30.0s advance  v2 at 100%
	//  30.0s complete v2 at 100%
	//  40.0s retire   v2 at 100%
	// completed map[2:1]
}

// spawn returns n entities in v1's layout.
func spawn(n int) *ecs.Columns {
	rng := rand.New(rand.NewPCG(1, 2))
	c := ecs.MakeColumns(v1.Layout, n)
	pos, vel := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Velocity)
	for i := range n {
		pos[i] = scenario.Vec2{X: rng.Float32() * 1000, Y: rng.Float32() * 1000}
		vel[i] = scenario.Vec2{X: rng.Float32()*20 - 10, Y: rng.Float32()*20 - 10}
	}
	return &c
}
