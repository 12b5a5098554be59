// Package demogame is the game cmd/demo plays, shared with the tools that
// replay its saves: the module, the versions it registers (v1, a v2 whose
// collision detection carries a fault that a configuration arms, v3) and
// that configuration, registered with the journal's default codecs.
//
// cmd/demo's live runs and replays, and cmd/grove verify and replay, build
// their engines with [Factory]. A game builds its own tool the same way,
// with its own versions: see [journal.Verify] and [journal.Replay].
//
// There are no build tags.
package demogame

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	v2 "github.com/grove-engine/grove/systems/v2"
	v3 "github.com/grove-engine/grove/systems/v3"
	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/journal"
)

// Module is the demo's module.
const Module = "GameLogic"

// GCAfter is the demo module's automatic GC threshold.
const GCAfter = 10 * time.Second

// Arm is the configuration that arms v2's fault: the next frame of v2
// triggers it once. Kind is "panic", "nan" or "lag". The demo arms its
// fault with [versioning.Engine.Configure], so the journal holds the
// arming and a replay fails v2 at the same frame, the same way.
type Arm struct {
	Kind string `json:"kind"`
}

// ArmCodec is the name Arm is journaled under.
const ArmCodec = "grove.demo.arm-fault"

func init() {
	if err := journal.RegisterJSON[Arm](journal.DefaultConfigs, ArmCodec); err != nil {
		panic(err)
	}
}

// Check validates an Arm configuration.
func Check(cfg any) error {
	a, ok := cfg.(Arm)
	if !ok {
		return fmt.Errorf("want a demogame.Arm, got %T", cfg)
	}
	switch a.Kind {
	case "panic", "nan", "lag":
		return nil
	}
	return fmt.Errorf("fault %q: want panic, nan or lag", a.Kind)
}

// ErrSimulated is the value the panic fault panics with.
var ErrSimulated = errors.New("simulated collision-detection crash")

// Fault is v2's switchable bug. Lag is how long the lag fault stalls (a
// replay re-injects the frame-budget failure the stall caused, so it may
// use 0).
type Fault struct {
	Lag   time.Duration
	kind  string
	armed bool
	fired int
}

// Fired is how many times the fault fired.
func (f *Fault) Fired() int { return f.fired }

// Faulty wraps a version so that its "collide" system carries f, armed by
// an [Arm] configuration.
func Faulty(v versioning.Version, f *Fault) versioning.Version { return faulty{v, f} }

type faulty struct {
	versioning.Version
	f *Fault
}

func (v faulty) NewLogic() (ecs.Logic, error) {
	l, err := v.Version.NewLogic()
	if err != nil {
		return nil, err
	}
	return faultyLogic{l, v.f}, nil
}

type faultyLogic struct {
	ecs.Logic
	f *Fault
}

func (l faultyLogic) ValidateConfig(cfg any) error { return Check(cfg) }

func (l faultyLogic) ApplyConfig(cfg any) {
	l.f.kind, l.f.armed = cfg.(Arm).Kind, true
}

func (l faultyLogic) Schedule() ecs.Schedule {
	s := l.Logic.Schedule()
	for i, sys := range s {
		if sys.Name != "collide" {
			continue
		}
		run, f := sys.Run, l.f
		s[i].Run = func(v *ecs.View, dt float32) error {
			if err := run(v, dt); err != nil || !f.armed {
				return err
			}
			f.armed = false
			f.fired++
			switch f.kind {
			case "panic":
				panic(ErrSimulated)
			case "nan":
				c := v.Columns()
				pos := ecs.Column(&c, scenario.Position)
				pos[len(pos)/2].X = float32(math.NaN())
			case "lag":
				time.Sleep(f.Lag)
			}
			return nil
		}
	}
	return s
}

// Versions returns the demo's versions: v1, v2 carrying f, and v3.
func Versions(f *Fault) ([]versioning.Version, error) {
	three, err := v3.New()
	if err != nil {
		return nil, err
	}
	return []versioning.Version{v1.Version{}, Faulty(v2.Version{}, f), three}, nil
}

// Factory builds the demo's engine for a replay (see [journal.Factory]):
// the module with the demo's versions registered, v2 carrying f.
func Factory(f *Fault) journal.Factory {
	return func(opts ...versioning.Option) (*versioning.Engine, error) {
		e, err := versioning.New(opts...)
		if err != nil {
			return nil, err
		}
		if err := e.AddModule(Module, versioning.AutoGC(GCAfter)); err != nil {
			return nil, err
		}
		vs, err := Versions(f)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			if err := e.Register(Module, v); err != nil {
				return nil, err
			}
		}
		return e, nil
	}
}
