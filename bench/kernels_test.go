package bench

import (
	"fmt"
	"testing"
	"unsafe"

	"github.com/grove-engine/grove/asm"
	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
)

// Kernel benchmarks: every implementation of each asm kernel on the same
// x,y-interleaved columns, sub-benchmarks named impl=<name>/n=<entities> so
// benchstat can split them. arche-query is the same loop written the
// idiomatic ECS way, entity by entity through arche's query in an ecs.World
// (the way v1 and v2 run). go-column is the pure Go reference
// (asm.Impls()[0], "generic"); avx2 and avx512 run only where the CPU has
// them. To add an implementation, append one kernelCase to the list at the
// top of integrateCases, gravityCases or boundsCases.

// kernelSizes are the entity counts: L1/L2-resident, L3-sized, and two far
// beyond the caches (16M entities are 128 MB per column).
var kernelSizes = []int{1000, 100000, 1000000, 16000000}

// Bytes of memory traffic per entity for each kernel.
const (
	integrateBytes = 24 // read p and v (8 B each), write p (8 B)
	gravityBytes   = 32 // read and write p and v
	boundsBytes    = 9  // read p (8 B), write one flag
)

// kernelCase is one implementation of a kernel. setup builds its data for n
// entities, outside the timer, and returns one step of the kernel over them.
type kernelCase struct {
	name  string
	setup func(n int) (step func())
}

func integrateCases() []kernelCase {
	cases := []kernelCase{
		{"arche-query", integrateQuery},
		{"go-column", integrateColumn(kernelImpl("generic").Integrate)},
	}
	for _, im := range simdImpls() {
		cases = append(cases, kernelCase{im.Name, integrateColumn(im.Integrate)})
	}
	return cases
}

func gravityCases() []kernelCase {
	cases := []kernelCase{
		{"arche-query", gravityQuery},
		{"go-column", gravityColumn(kernelImpl("generic").Gravity)},
	}
	for _, im := range simdImpls() {
		cases = append(cases, kernelCase{im.Name, gravityColumn(im.Gravity)})
	}
	return cases
}

func boundsCases() []kernelCase {
	cases := []kernelCase{
		{"arche-query", boundsQuery},
		{"go-column", boundsColumn(kernelImpl("generic").Bounds)},
	}
	for _, im := range simdImpls() {
		cases = append(cases, kernelCase{im.Name, boundsColumn(im.Bounds)})
	}
	return cases
}

func BenchmarkIntegrate(b *testing.B) { runKernel(b, integrateCases(), integrateBytes) }

func BenchmarkGravity(b *testing.B) { runKernel(b, gravityCases(), gravityBytes) }

func BenchmarkBounds(b *testing.B) { runKernel(b, boundsCases(), boundsBytes) }

// BenchmarkMemoryFloor is the main-memory floor for Integrate's traffic: the
// same 24 bytes per entity (read p and v, write p) over columns far larger
// than the caches, streamed by plain Go with no float math: v's 64-bit words
// are added into p's, 4 words per iteration. (On the Zen 5 this was written
// on, that loop streams faster than crypto/subtle.XORBytes(p, p, v), and the
// copy builtin would not do: for large sizes it stores non-temporally, so it
// never reads the destination, 16 bytes per entity instead of 24.)
// Integrate at n=16000000 cannot beat it by more than noise.
func BenchmarkMemoryFloor(b *testing.B) {
	const n = 16000000
	b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
		p, v := kernelColumns(n)
		pw, vw := columnWords(p), columnWords(v)
		b.ReportAllocs()
		b.SetBytes(integrateBytes * n)
		for b.Loop() {
			streamAdd(pw, vw)
		}
		reportPerEntity(b, n)
	})
}

// streamAdd adds v's words into p's: a read-modify-write of p and a read of
// v, as fast as plain Go streams them.
func streamAdd(p, v []uint64) {
	v = v[:len(p)]
	i := 0
	for ; i+4 <= len(p); i += 4 {
		p[i] += v[i]
		p[i+1] += v[i+1]
		p[i+2] += v[i+2]
		p[i+3] += v[i+3]
	}
	for ; i < len(p); i++ {
		p[i] += v[i]
	}
}

// columnWords views a float32 column of even length as 64-bit words.
func columnWords(x []float32) []uint64 {
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(x))), len(x)/2)
}

// runKernel runs every case at every size, as impl=<name>/n=<entities>.
func runKernel(b *testing.B, cases []kernelCase, bytesPerEntity int) {
	for _, c := range cases {
		b.Run("impl="+c.name, func(b *testing.B) {
			for _, n := range kernelSizes {
				b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
					step := c.setup(n)
					b.ReportAllocs()
					b.SetBytes(int64(bytesPerEntity) * int64(n))
					for b.Loop() {
						step()
					}
					reportPerEntity(b, n)
				})
			}
		})
	}
}

func reportPerEntity(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/entity")
}

// kernelImpl returns the asm implementation called name; it must exist.
func kernelImpl(name string) asm.Impl {
	for _, im := range asm.Impls() {
		if im.Name == name {
			return im
		}
	}
	panic("bench: no asm implementation " + name)
}

// simdImpls are the asm implementations other than the generic reference.
func simdImpls() []asm.Impl {
	var out []asm.Impl
	for _, im := range asm.Impls() {
		if im.Name != "generic" {
			out = append(out, im)
		}
	}
	return out
}

// kernelColumns makes position and velocity columns for n entities with
// ordinary values: positions in [-500, 500), velocities in [-5, 5).
func kernelColumns(n int) (p, v []float32) {
	p = make([]float32, 2*n)
	v = make([]float32, 2*n)
	for i := range p {
		p[i] = float32(i%1000) - 500
		v[i] = float32(i%97)/9.7 - 5
	}
	return p, v
}

func integrateColumn(f func(p, v []float32, dt float32)) func(n int) func() {
	return func(n int) func() {
		p, v := kernelColumns(n)
		return func() { f(p, v, 1.0/60) }
	}
}

func gravityColumn(f func(p, v []float32, ax, ay, dt float32)) func(n int) func() {
	return func(n int) func() {
		p, v := kernelColumns(n)
		// Gravity up then down on alternate steps keeps v bounded.
		g := float32(-9.81)
		return func() {
			f(p, v, 0, g, 1.0/60)
			g = -g
		}
	}
}

func boundsColumn(f func(flags []bool, p []float32, min, max float32)) func(n int) func() {
	return func(n int) func() {
		p, _ := kernelColumns(n)
		flags := make([]bool, n)
		return func() { f(flags, p, -400, 400) }
	}
}

// queryWorld is an ecs.World holding n entities with the kernelColumns data,
// plus the collided column when withFlags is set.
func queryWorld(n int, withFlags bool) *ecs.World {
	p, v := kernelColumns(n)
	specs := []ecs.Spec{scenario.Position, scenario.Velocity}
	if withFlags {
		specs = append(specs, scenario.Collided)
	}
	layout := ecs.MustLayout(specs...)
	c := ecs.MakeColumns(layout, n)
	copy(ecs.Float32s(&c, scenario.Position), p)
	copy(ecs.Float32s(&c, scenario.Velocity), v)
	w, err := ecs.NewWorld(layout, n)
	if err != nil {
		panic(err)
	}
	if err := w.Append(&c); err != nil {
		panic(err)
	}
	return w
}

func integrateQuery(n int) func() {
	w := queryWorld(n, false)
	const dt = float32(1.0 / 60)
	pos, vel := ecs.Access(w.View(), scenario.Position), ecs.Access(w.View(), scenario.Velocity)
	return func() {
		q := w.Query()
		for q.Next() {
			p, v := pos.Get(&q), vel.Get(&q)
			p.X += float32(v.X * dt)
			p.Y += float32(v.Y * dt)
		}
	}
}

func gravityQuery(n int) func() {
	w := queryWorld(n, false)
	const dt = float32(1.0 / 60)
	g := float32(-9.81)
	pos, vel := ecs.Access(w.View(), scenario.Position), ecs.Access(w.View(), scenario.Velocity)
	return func() {
		gy := float32(g * dt)
		q := w.Query()
		for q.Next() {
			p, v := pos.Get(&q), vel.Get(&q)
			v.Y += gy
			p.X += float32(v.X * dt)
			p.Y += float32(v.Y * dt)
		}
		g = -g
	}
}

func boundsQuery(n int) func() {
	w := queryWorld(n, true)
	const lo, hi = -400, 400
	pos, col := ecs.Access(w.View(), scenario.Position), ecs.Access(w.View(), scenario.Collided)
	return func() {
		q := w.Query()
		for q.Next() {
			p := pos.Get(&q)
			*col.Get(&q) = !(p.X >= lo && p.X <= hi && p.Y >= lo && p.Y <= hi)
		}
	}
}
