package ecs

import (
	"unsafe"

	arche "github.com/mlange-42/arche/ecs"
)

// Query iterates a world's entities one by one through arche's query, the
// idiomatic per-entity ECS loop:
//
//	q := v.Query()
//	for q.Next() {
//		p, vel := ecs.Get(&q, Position), ecs.Get(&q, Velocity)
//		p.X += vel.X * dt
//	}
//
// The world is locked against structural changes until Next returns false or
// Close is called. Pointers are valid only until the next call to Next.
type Query struct {
	q arche.Query
	w *World
}

// Query starts a per-entity iteration over the world.
func (w *World) Query() Query {
	if !w.w.IsLocked() {
		w.open = w.open[:0] // every earlier query has finished or closed
	}
	q := w.w.Query(&w.filter)
	w.open = append(w.open, q)
	return Query{q: q, w: w}
}

// Next advances to the next entity; it returns false (and closes the query)
// after the last. (It must stay this small: the compiler inlines it into every
// per-entity loop.)
func (q *Query) Next() bool { return q.q.Next() }

// Close ends the iteration early.
func (q *Query) Close() { q.q.Close() }

// Key is the current entity's key.
func (q *Query) Key() Key { return *(*Key)(q.q.Get(q.w.keyID)) }

// Get returns a pointer to the current entity's value of comp, or nil if
// the world lacks comp (or holds that name with another layout). The pointer
// is valid until the next call to Next.
func Get[T any](q *Query, comp Comp[T]) *T {
	// Kept small enough to inline into every per-entity loop: the world's
	// table answers for the component it holds; any other one (absent, or
	// the same name registered with another Go type) takes the slow path.
	s := &q.w.byID[comp.id]
	if s.comp != comp.Component {
		return (*T)(q.slow(comp.Component))
	}
	return (*T)(q.q.Get(s.aid))
}

// slow is Get for a component the world's table does not hold as is.
func (q *Query) slow(c *Component) unsafe.Pointer {
	i := q.w.layout.index[c.id]
	if i < 0 || !q.w.layout.comps[i].SameLayout(c) {
		return nil
	}
	return q.q.Get(q.w.aid[i])
}

// Unlock closes every query started with [World.Query] that was neither
// iterated to the end nor closed (a system panicked inside its loop, or
// forgot to close one), so that the world accepts structural changes again.
// It returns how many locks it released: 0 when the world was not locked.
func (w *World) Unlock() int {
	if !w.w.IsLocked() {
		w.open = w.open[:0]
		return 0
	}
	n := 0
	for i := len(w.open) - 1; i >= 0; i-- {
		if release(&w.open[i]) {
			n++
		}
	}
	w.open = w.open[:0]
	return n
}

// release closes a copy of a query, which releases the query's lock if it
// still holds it. arche panics, before changing anything, when the lock was
// already released (the query finished or was closed): that is not an error
// here.
func release(q *arche.Query) (released bool) {
	defer func() {
		if recover() != nil {
			released = false
		}
	}()
	q.Close()
	return true
}

// Accessor reads one component in a per-entity loop at the cost of arche's
// own accessor: it resolves the component once, for one world, where [Get]
// looks it up for every entity.
//
//	pos, vel := ecs.Access(v, Position), ecs.Access(v, Velocity)
//	q := v.Query()
//	for q.Next() {
//		p := pos.Get(&q)
//		p.X += vel.Get(&q).X * dt
//	}
//
// An Accessor is valid for queries of the view it was made for.
type Accessor[T any] struct {
	id arche.ID
	ok bool
}

// Access returns an Accessor of comp for v's world; its Get returns nil if
// the world lacks comp (or holds that name with another layout).
func Access[T any](v *View, comp Comp[T]) Accessor[T] {
	w := v.w
	i := w.layout.index[comp.id]
	if i < 0 || !w.layout.comps[i].SameLayout(comp.Component) {
		return Accessor[T]{}
	}
	return Accessor[T]{id: w.aid[i], ok: true}
}

// Get returns a pointer to the current entity's value, valid until the next
// call to Next, or nil if the world lacks the component.
func (a Accessor[T]) Get(q *Query) *T {
	if !a.ok {
		return nil
	}
	return (*T)(q.q.Get(a.id))
}
