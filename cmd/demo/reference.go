package main

import (
	"math"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
)

// refEntity is the reference model of one entity: plain Go, written from the
// specification, independent of the engine, the ecs package and the kernels.
type refEntity struct {
	x, y, vx, vy float32
	mass         float32
	collided     bool
	version      int
}

// reference simulates every entity with the logic of the version it was on
// in each frame.
type reference struct {
	all      []*refEntity // in spawn order, for fast frames
	entities map[ecs.Key]*refEntity
	gravity  float32
	radius   float32
	min, max float32
	v3       []*refEntity
}

func newReference(radius float32) *reference {
	return &reference{entities: map[ecs.Key]*refEntity{}, gravity: 9.8, radius: radius, min: 0, max: 1000}
}

func (r *reference) add(k ecs.Key, e *refEntity) {
	r.entities[k] = e
	r.all = append(r.all, e)
}

// step advances every entity one frame with its version's logic. The
// contact pass of v3 (a pure function of the positions of the frame) runs
// only when contacts is set: on frames whose state is looked at next.
func (r *reference) step(dt float32, contacts bool) {
	gy := float32(r.gravity * dt)
	gx := float32(0 * dt)
	v3 := r.v3[:0]
	for _, e := range r.all {
		switch e.version {
		case 1:
			e.x += float32(e.vx * dt)
			e.y += float32(e.vy * dt)
		case 2:
			e.x += float32(e.vx * dt)
			e.y += float32(e.vy * dt)
			e.collided = e.x < r.min || e.x > r.max || e.y < r.min || e.y > r.max
		case 3:
			e.vx += gx
			e.vy += gy
			e.x += float32(e.vx * dt)
			e.y += float32(e.vy * dt)
			e.collided = !(e.x >= r.min && e.x <= r.max && e.y >= r.min && e.y <= r.max)
			v3 = append(v3, e)
		}
	}
	r.v3 = v3
	if contacts {
		r.contacts(v3)
	}
}

// contacts flags every pair of v3 entities whose centres are at most
// 2·radius apart (squared distance in float64), with a hash map of cells: an
// implementation independent of the spatial package.
func (r *reference) contacts(es []*refEntity) {
	if len(es) == 0 {
		return
	}
	cell := 2 * float64(r.radius)
	lim := cell * cell
	type key struct{ cx, cy int64 }
	grid := map[key][]*refEntity{}
	at := func(e *refEntity) key {
		return key{int64(math.Floor(float64(e.x) / cell)), int64(math.Floor(float64(e.y) / cell))}
	}
	for _, e := range es {
		if isFinite(e.x) && isFinite(e.y) {
			grid[at(e)] = append(grid[at(e)], e)
		}
	}
	for _, e := range es {
		if !isFinite(e.x) || !isFinite(e.y) {
			continue
		}
		c := at(e)
		for dx := int64(-1); dx <= 1; dx++ {
			for dy := int64(-1); dy <= 1; dy++ {
				for _, o := range grid[key{c.cx + dx, c.cy + dy}] {
					if o == e {
						continue
					}
					ddx, ddy := float64(e.x)-float64(o.x), float64(e.y)-float64(o.y)
					if ddx*ddx+ddy*ddy <= lim {
						e.collided = true
					}
				}
			}
		}
	}
}

func isFinite(f float32) bool { return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) }

// migrate records that an entity moved to another version, applying the
// specification's migrations: entering v2 or v3 starts collided at false,
// entering v3 sets mass to 1.
func (r *reference) migrate(k ecs.Key, to int) {
	e := r.entities[k]
	if e.version == to {
		return
	}
	if to >= 2 && e.version < 2 {
		e.collided = false
	}
	if to == 3 {
		e.mass = 1
	}
	if to < 3 {
		e.mass = 0
	}
	if to < 2 {
		e.collided = false
	}
	e.version = to
}

// compare checks every entity of the engine's exported state against the
// reference, bit for bit. It returns how many entities were checked and how
// many matched, and the keys the engine has that the reference does not know
// (or the other way round) count as mismatches.
func (r *reference) compare(state map[int]ecs.Columns) (checked, matched int) {
	seen := 0
	for v, c := range state {
		for i, k := range c.Keys {
			checked++
			e, ok := r.entities[k]
			if !ok || e.version != v {
				continue
			}
			seen++
			pos := ecs.Column(&c, scenario.Position)
			same := pos != nil && bits(e.x) == bits(pos[i].X) && bits(e.y) == bits(pos[i].Y)
			if vel := ecs.Column(&c, scenario.Velocity); vel != nil {
				same = same && bits(e.vx) == bits(vel[i].X) && bits(e.vy) == bits(vel[i].Y)
			}
			if col := ecs.Column(&c, scenario.Collided); col != nil {
				same = same && e.collided == col[i]
			}
			if mass := ecs.Column(&c, scenario.Mass); mass != nil {
				same = same && bits(e.mass) == bits(mass[i])
			}
			if same {
				matched++
			}
		}
	}
	if missing := len(r.entities) - seen; missing > 0 {
		checked += missing
	}
	return checked, matched
}

func bits(f float32) uint32 { return math.Float32bits(f) }

// nextUp is the next float32 after f towards +Inf.
func nextUp(f float32) float32 { return math.Nextafter32(f, float32(math.Inf(1))) }
