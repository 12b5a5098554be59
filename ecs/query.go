package ecs

import arche "github.com/mlange-42/arche/ecs"

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
	i := q.w.layout.index[comp.id]
	if i < 0 || !q.w.layout.comps[i].SameLayout(comp.Component) {
		return nil
	}
	return (*T)(q.q.Get(q.w.aid[i]))
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
