package versioning

import (
	"errors"
	"fmt"

	"github.com/grove-engine/grove/ecs"
)

// ErrBadCommand is wrapped by errors of entity commands: an unknown
// command, a component the entity's version lacks, a payload the command
// rejects, or a command that left a non-finite value.
var ErrBadCommand = errors.New("versioning: bad command")

// CommandFunc applies a registered command to one entity: row is a one-row
// view of the entity in the layout of the version it lives on, payload the
// command's bytes (the engine's copy, valid during the call: keep a copy if
// you keep them). It must validate the payload before writing; an error or
// a panic leaves the entity as it was.
type CommandFunc func(row *ecs.Columns, payload []byte) error

// command is an entity command waiting for the next frame boundary.
type command struct {
	key    ecs.Key
	comp   string // SetComponent: the component's name
	name   string // Command: the registered command
	off, n int    // the payload: m.payloads[off : off+n]
}

// payload is cmd's payload, in the module's arena (capacity capped, so an
// append by whoever holds it cannot reach the next payload).
func (m *module) payload(cmd *command) []byte {
	return m.payloads[cmd.off : cmd.off+cmd.n : cmd.off+cmd.n]
}

// queue appends a command with a copy of payload to the module's queue.
func (m *module) queue(key ecs.Key, comp, name string, payload []byte) {
	m.cmds = append(m.cmds, command{key: key, comp: comp, name: name, off: len(m.payloads), n: len(payload)})
	m.payloads = append(m.payloads, payload...)
}

// RegisterCommand registers a command function under a name for the
// module's entities (a name may be registered once).
func (e *Engine) RegisterCommand(module, name string, fn CommandFunc) error {
	e.begin()
	defer e.end()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	if fn == nil || name == "" {
		return fmt.Errorf("%w: command %q needs a name and a function", ErrBadOption, name)
	}
	if _, ok := m.commands[name]; ok {
		return fmt.Errorf("%w: command %q registered twice", ErrBadOption, name)
	}
	m.commands[name] = fn
	return nil
}

// SetComponent writes v as entity key's value of component c at the next
// frame boundary, whichever version the entity then lives on: the way a game
// feeds player input to an entity. It fails now if the entity is unknown or
// its version lacks c (in c's layout); at the boundary, a command whose
// entity has gone or moved to a version without c is dropped and reported as
// an [EventError] wrapping [ErrBadCommand], and so is a value that is not
// finite.
func SetComponent[T any](e *Engine, module string, key ecs.Key, c ecs.Comp[T], v T) error {
	if c.Component == nil {
		return fmt.Errorf("%w: nil component", ErrBadCommand)
	}
	one := ecs.MakeColumns(ecs.MustLayout(c), 1)
	ecs.Column(&one, c)[0] = v
	return e.setComponent(module, key, c.Component, one.Raw(c.ID()))
}

func (e *Engine) setComponent(module string, key ecs.Key, c *ecs.Component, value []byte) error {
	e.begin()
	defer e.end()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	ver, _, err := m.keys.lookup(module, key)
	if err != nil {
		return err
	}
	if !m.versions[ver].layout.Has(c) {
		return fmt.Errorf("%w: %s v%d has no component %q in that layout", ErrBadCommand, module, ver, c.Name())
	}
	e.recordLater(m)
	m.queue(key, c.Name(), "", value)
	return nil
}

// SetComponentBytes is [SetComponent] for generic code (a journal replay):
// the component is named, and value holds its bytes.
func (e *Engine) SetComponentBytes(module string, key ecs.Key, component string, value []byte) error {
	e.begin()
	m, err := e.module(module)
	var comp *ecs.Component
	if err == nil {
		var ver int
		if ver, _, err = m.keys.lookup(module, key); err == nil {
			comp = componentNamed(m.versions[ver].layout, component)
			if comp == nil || len(value) != comp.Size() {
				err = fmt.Errorf("%w: %s v%d: component %q with %d bytes", ErrBadCommand, module, ver, component, len(value))
			}
		}
	}
	e.end()
	if err != nil {
		return err
	}
	return e.setComponent(module, key, comp, value)
}

// Command queues the registered command name for entity key, with payload,
// to be applied at the next frame boundary whichever version the entity
// then lives on. It fails now for an unknown entity or command; a command
// that fails when applied is reported as an [EventError] wrapping
// [ErrBadCommand].
func (e *Engine) Command(module string, key ecs.Key, name string, payload []byte) error {
	e.begin()
	defer e.end()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	if _, _, err := m.keys.lookup(module, key); err != nil {
		return err
	}
	if _, ok := m.commands[name]; !ok {
		return fmt.Errorf("%w: unknown command %q", ErrBadCommand, name)
	}
	e.recordLater(m)
	m.queue(key, "", name, payload)
	return nil
}

func componentNamed(l *ecs.Layout, name string) *ecs.Component { return l.ComponentNamed(name) }

// applyCommands applies the module's queued commands in order. Each one is
// atomic: it changes its entity, or nothing and reports why.
func (e *Engine) applyCommands(m *module) {
	for i := range m.cmds {
		if err := e.applyCommand(m, &m.cmds[i]); err != nil {
			e.emit(Event{Kind: EventError, Module: m.name, Err: err})
		}
	}
	// Commands cannot queue commands (the engine is busy while they run):
	// the queue and its payloads are reused.
	m.cmds, m.payloads = m.cmds[:0], m.payloads[:0]
}

func (e *Engine) applyCommand(m *module, cmd *command) error {
	ver, row, err := m.keys.lookup(m.name, cmd.key)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadCommand, err)
	}
	w := m.versions[ver].l.world
	all := w.Columns()
	view := &m.cmdView
	all.SliceInto(view, row, row+1)
	before := &m.cmdBefore
	before.Reset(w.Layout())
	before.AppendAll(view)
	if cmd.comp != "" {
		c := w.Layout().ComponentNamed(cmd.comp)
		if c == nil || cmd.n != c.Size() {
			return fmt.Errorf("%w: %s v%d has no component %q of %d bytes", ErrBadCommand, m.name, ver, cmd.comp, cmd.n)
		}
		copy(view.Raw(c.ID()), m.payload(cmd))
	} else {
		fn := m.commands[cmd.name]
		payload := m.payload(cmd)
		if err := e.user(func() error { return fn(view, payload) }); err != nil {
			restoreRow(view, before)
			return fmt.Errorf("%w: %q on entity %#x: %w", ErrBadCommand, cmd.name, uint64(cmd.key), err)
		}
	}
	if e.cfg.checks {
		if r, field := view.FirstNonFinite(); r >= 0 {
			restoreRow(view, before)
			return fmt.Errorf("%w: entity %#x: %s not finite", ErrBadCommand, uint64(cmd.key), field)
		}
	}
	if view.Keys[0] != cmd.key {
		restoreRow(view, before)
		return fmt.Errorf("%w: command changed the key of entity %#x", ErrBadCommand, uint64(cmd.key))
	}
	// Something other than the schedule wrote the world: the next backup,
	// and the next capture, must copy every component.
	m.versions[ver].l.backup.Invalidate()
	m.versions[ver].l.touched++
	return nil
}

func restoreRow(view, before *ecs.Columns) {
	view.Keys[0] = before.Keys[0]
	for _, c := range view.Layout().Components() {
		copy(view.Raw(c.ID()), before.Raw(c.ID()))
	}
}
