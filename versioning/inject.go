package versioning

import (
	"errors"
	"fmt"
)

// ErrInjected is the cause of a failure injected with [Engine.InjectFailure]
// (unless the injection names its own).
var ErrInjected = errors.New("versioning: injected failure")

func isErr(err, target error) bool { return errors.Is(err, target) }

// The phases a failure can be injected into.
const (
	// PhaseStep: the version's own step in the next frame.
	PhaseStep = "step"
	// PhaseServe: the version's step while it serves another version's
	// rolled-back entities in the next frame.
	PhaseServe = "serve"
)

// injection is a failure to inject in the next frame.
type injection struct {
	version int
	phase   string
	err     error
}

// InjectFailure makes a version's step fail in the next frame, after it
// ran, with cause (nil: [ErrInjected]), as if a check had failed: in phase
// [PhaseStep] its own step, in [PhaseServe] the step in which it serves
// another version's rolled-back entities (if it does in that frame). A
// replay uses it to reproduce failures that depend on wall time (the frame
// budget); tests and game days use it to rehearse a rollback. Injections
// not consumed by the next frame are dropped.
func (e *Engine) InjectFailure(module string, version int, phase string, cause error) error {
	e.begin()
	defer e.end()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	if _, ok := m.versions[version]; !ok {
		return fmt.Errorf("%w: %s v%d", ErrUnknownVersion, module, version)
	}
	if phase != PhaseStep && phase != PhaseServe {
		return fmt.Errorf("%w: phase %q", ErrBadOption, phase)
	}
	if cause == nil {
		cause = ErrInjected
	}
	m.inject = append(m.inject, injection{version: version, phase: phase, err: cause})
	e.record(Op{Kind: OpInject, Module: module, Version: version, Phase: phase, Cause: failureCause(cause), Err: cause})
	return nil
}

// injected returns the failure injected for version n in phase, if any.
func (m *module) injected(n int, phase string) error {
	for _, in := range m.inject {
		if in.version == n && in.phase == phase {
			return in.err
		}
	}
	return nil
}
