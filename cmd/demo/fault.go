package main

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	"github.com/grove-engine/grove/versioning"
)

// fault is phase 4's simulated bug. While armed, the next frame of the
// wrapped version triggers it once: a panic in collision detection, a NaN
// written into the state, or a step slower than the frame budget.
type fault struct {
	kind  string
	lag   time.Duration
	armed bool
	fired int
}

var errSimulated = errors.New("simulated collision-detection crash")

// faulty wraps a version so that its "collide" system carries the fault.
type faulty struct {
	versioning.Version
	f *fault
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
	f *fault
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
				panic(errSimulated)
			case "nan":
				c := v.Columns()
				pos := ecs.Column(&c, scenario.Position)
				pos[len(pos)/2].X = float32(math.NaN())
			case "lag":
				time.Sleep(f.lag)
			default:
				return fmt.Errorf("unknown fault %q", f.kind)
			}
			return nil
		}
	}
	return s
}
