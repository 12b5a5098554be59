package versioning

import (
	"fmt"
	"math"
	"time"
)

// FailurePolicy says how many failed steps a module tolerates from a
// version before failing it for good. The zero value is the default: the
// first failure fails the version.
//
// A tolerated failure is recovered like any other (the version's entities
// are restored from the backup and served by the rollback target in the
// same frame, so no frame is missed), but the version keeps its traffic:
// its entities return to it at the next frame boundary. The version fails
// for good when, over the last Window of simulated time, more than MaxRate
// of its steps failed (judged once it has MinSteps steps in the window), or
// when MaxConsecutive steps in a row failed.
type FailurePolicy struct {
	// MaxRate is the fraction of steps, 0..1, that may fail over Window.
	// 0 fails a version at its first failure.
	MaxRate float64
	// Window is the simulated time the rate is measured over (default 10s).
	Window time.Duration
	// MinSteps is how many steps the window must hold before the rate is
	// judged (default 20); before that, only MaxConsecutive applies.
	MinSteps int
	// MaxConsecutive fails a version after that many failed steps in a row
	// (default 3).
	MaxConsecutive int
}

// withDefaults fills the zero fields.
func (p FailurePolicy) withDefaults() FailurePolicy {
	if p.Window == 0 {
		p.Window = 10 * time.Second
	}
	if p.MinSteps == 0 {
		p.MinSteps = 20
	}
	if p.MaxConsecutive == 0 {
		p.MaxConsecutive = 3
	}
	return p
}

func (p FailurePolicy) validate() error {
	if math.IsNaN(p.MaxRate) || p.MaxRate < 0 || p.MaxRate > 1 || p.Window < 0 || p.MinSteps < 0 || p.MaxConsecutive < 0 {
		return fmt.Errorf("%w: failure policy %+v", ErrBadOption, p)
	}
	return nil
}

// Tolerate sets the module's [FailurePolicy].
func Tolerate(p FailurePolicy) ModuleOption {
	return func(m *module) error {
		if err := p.validate(); err != nil {
			return err
		}
		m.policy = p
		return nil
	}
}

// stepLog is a version's recent steps, for the failure policy.
type stepLog struct {
	at          []time.Duration // simulated time of each step in the window
	failed      []bool
	consecutive int
}

// add records a step at now and drops the steps older than the window.
func (s *stepLog) add(now, window time.Duration, failed bool) {
	s.at = append(s.at, now)
	s.failed = append(s.failed, failed)
	drop := 0
	for drop < len(s.at) && now-s.at[drop] > window {
		drop++
	}
	if drop > 0 {
		s.at = append(s.at[:0], s.at[drop:]...)
		s.failed = append(s.failed[:0], s.failed[drop:]...)
	}
	if failed {
		s.consecutive++
	} else {
		s.consecutive = 0
	}
}

// tolerates reports whether the policy tolerates the failure just added.
func (p FailurePolicy) tolerates(s *stepLog) bool {
	if p.MaxRate == 0 {
		return false
	}
	p = p.withDefaults()
	if s.consecutive >= p.MaxConsecutive {
		return false
	}
	if len(s.at) < p.MinSteps {
		return true
	}
	n := 0
	for _, f := range s.failed {
		if f {
			n++
		}
	}
	return float64(n) <= p.MaxRate*float64(len(s.at))
}
