package versioning

import (
	"errors"
	"fmt"
)

// ErrNotConfigurable: Configure was called for a version whose logic does
// not implement [Configurable].
var ErrNotConfigurable = errors.New("versioning: version is not configurable")

// Configurable is implemented by logic that can change its configuration
// while running (a hot patch, without a reload): v3's gravity or contact
// radius, say. ValidateConfig checks cfg completely and changes nothing;
// ApplyConfig then applies it and must not fail. After ApplyConfig the
// engine reads the logic's Schedule again, so a configuration may add or
// remove systems.
type Configurable interface {
	ValidateConfig(cfg any) error
	ApplyConfig(cfg any)
}

// Configure changes a loaded version's configuration at this frame
// boundary, without a reload. The version's logic must implement
// [Configurable] (else [ErrNotConfigurable]). It is atomic: a configuration
// that ValidateConfig rejects changes nothing, and the error wraps
// [ErrBadOption].
func (e *Engine) Configure(module string, version int, cfg any) error {
	e.begin()
	defer e.end()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	vr, ok := m.versions[version]
	switch {
	case !ok:
		return fmt.Errorf("%w: %s v%d", ErrUnknownVersion, module, version)
	case vr.l == nil:
		return fmt.Errorf("%w: %s v%d", ErrNotLoaded, module, version)
	}
	l := vr.l
	c, ok := l.logic.(Configurable)
	if !ok {
		return fmt.Errorf("%w: %s v%d", ErrNotConfigurable, module, version)
	}
	if err := e.user(func() error { return c.ValidateConfig(cfg) }); err != nil {
		return fmt.Errorf("%w: %s v%d config: %w", ErrBadOption, module, version, err)
	}
	err = e.user(func() error {
		c.ApplyConfig(cfg)
		s := l.logic.Schedule()
		for _, sys := range s {
			if sys.Run == nil {
				return fmt.Errorf("system %q has no Run function", sys.Name)
			}
		}
		l.sched, l.writes = s, s.Writes()
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w: %s v%d: applying a validated config: %w", ErrLoad, module, version, err)
	}
	l.backup.Invalidate() // the new schedule may write other components
	e.record(Op{Kind: OpConfigure, Module: module, Version: version, Config: cfg})
	return nil
}
