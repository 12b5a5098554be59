package deploy

import "fmt"

// Phase is where a rollout is in its life.
type Phase int

// The phases of a rollout. Completed, Failed and Aborted are terminal.
const (
	// PhasePending: accepted, not started yet (waiting for the first Step,
	// or for a confirm-rollout gate).
	PhasePending Phase = iota + 1
	// PhaseProgressing: stepping through its weights or running its test.
	PhaseProgressing
	// PhasePaused: waiting for a person (a manual or inconclusive pause) or
	// for a timed pause to elapse.
	PhasePaused
	// PhasePromoting: the candidate has all the traffic; the rollout is
	// finishing (a blue-green switch keeps the old version warm here).
	PhasePromoting
	// PhaseRollingBack: a rollback is being applied. It lasts only while
	// the split is restored, within one Step.
	PhaseRollingBack
	// PhaseCompleted: the rollout reached its end.
	PhaseCompleted
	// PhaseFailed: the analysis, the circuit breaker, the engine or the
	// progress deadline rolled it back.
	PhaseFailed
	// PhaseAborted: a person aborted it (or switched a blue-green back).
	PhaseAborted
)

var phaseNames = [...]string{"", "pending", "progressing", "paused", "promoting", "rolling back", "completed", "failed", "aborted"}

func (p Phase) String() string {
	if p > 0 && int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return fmt.Sprintf("Phase(%d)", int(p))
}

// MarshalText encodes the phase as its String, for JSON.
func (p Phase) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// Terminal reports whether the rollout is over.
func (p Phase) Terminal() bool {
	return p == PhaseCompleted || p == PhaseFailed || p == PhaseAborted
}

// Action is what a [Decision] tells the controller to do.
type Action int

// The actions. The zero value is Hold.
const (
	// Hold: change nothing this frame.
	Hold Action = iota
	// Advance: apply Decision.Weights (if any) and enter Decision.Step.
	Advance
	// Pause: stop advancing until Decision.Until (simulated), or until a
	// person resumes or promotes when Until is 0.
	Pause
	// Resume: leave a pause.
	Resume
	// RollBack: restore the split from before the rollout (or
	// Decision.Weights); the rollout fails.
	RollBack
	// Complete: apply Decision.Weights (if any); the rollout completes.
	Complete
	// Abort: like RollBack, asked by a person; the rollout is aborted.
	Abort
	// Start is recorded when a rollout is accepted ([Orchestrator.Deploy]).
	Start
	// Retire is recorded when the controller unloads a version it replaced
	// or kept warm.
	Retire
)

var actionNames = [...]string{"hold", "advance", "pause", "resume", "rollback", "complete", "abort", "start", "retire"}

func (a Action) String() string {
	if a >= 0 && int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// MarshalText encodes the action as its String, for JSON.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// Command is a person's instruction to a rollout, queued by the
// orchestrator and handed to the strategy in the next [Observation].
type Command int

// The commands. The zero value is NoCommand.
const (
	NoCommand Command = iota
	// CmdPause pauses the rollout until CmdResume or a promotion.
	CmdPause
	// CmdResume leaves a pause.
	CmdResume
	// CmdPromote moves to the next step now, skipping the interval, the
	// analysis gate and any pause.
	CmdPromote
	// CmdPromoteFull gives the candidate all the traffic now.
	CmdPromoteFull
	// CmdAbort rolls the rollout back now.
	CmdAbort
)

var commandNames = [...]string{"none", "pause", "resume", "promote", "promote-full", "abort"}

func (c Command) String() string {
	if c >= 0 && int(c) < len(commandNames) {
		return commandNames[c]
	}
	return fmt.Sprintf("Command(%d)", int(c))
}

// MarshalText encodes the command as its String, for JSON.
func (c Command) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// Role is a version's part in a rollout, in the seed's vocabulary.
type Role int

// The roles.
const (
	// RoleActive: a stable version serving traffic (or the promoted
	// candidate).
	RoleActive Role = iota + 1
	// RoleCanary: the candidate while the rollout runs.
	RoleCanary
	// RoleDeprecated: a version being phased out: loaded, losing or without
	// traffic (kept warm, draining, or waiting for GC).
	RoleDeprecated
	// RoleFailed: a candidate that was rolled back or a version the engine
	// failed, still loaded.
	RoleFailed
	// RoleRetired: unloaded.
	RoleRetired
)

var roleNames = [...]string{"", "active", "canary", "deprecated", "failed", "retired"}

func (r Role) String() string {
	if r > 0 && int(r) < len(roleNames) {
		return roleNames[r]
	}
	return fmt.Sprintf("Role(%d)", int(r))
}

// MarshalText encodes the role as its String, for JSON.
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }
