package asm

import (
	"os"
	"strings"
)

// Names of the implementation levels, as reported by [Active] and [Impl.Name].
const (
	levelGeneric = "generic"
	levelAVX2    = "avx2"
	levelAVX512  = "avx512"
)

// Impl is one implementation level of every kernel.
//
// Each function checks its arguments' lengths and panics exactly as the
// exported function of the same name does, so any Impl is safe to call with
// any slices.
type Impl struct {
	Name           string // "generic", "avx2", "avx512"
	Integrate      func(p, v []float32, dt float32)
	Gravity        func(p, v []float32, ax, ay, dt float32)
	Bounds         func(flags []bool, p []float32, min, max float32)
	FirstNonFinite func(x []float32) int
}

// kernels is one level's set of unchecked kernel bodies.
type kernels struct {
	name           string
	integrate      func(p, v []float32, dt float32)
	gravity        func(p, v []float32, ax, ay, dt float32)
	bounds         func(flags []bool, p []float32, min, max float32)
	firstNonFinite func(x []float32) int
}

// The bodies the exported functions call, set once by init.
var (
	integrateBody      = integrateGeneric
	gravityBody        = gravityGeneric
	boundsBody         = boundsGeneric
	firstNonFiniteBody = firstNonFiniteGeneric
)

var (
	impls  []Impl
	active = levelGeneric
)

func init() {
	levels := availableKernels(hasAVX2, hasAVX512)
	active = selectLevel(os.Getenv("GROVE_SIMD"), hasAVX2, hasAVX512)
	for _, k := range levels {
		impls = append(impls, k.checked())
		if k.name == active {
			integrateBody = k.integrate
			gravityBody = k.gravity
			boundsBody = k.bounds
			firstNonFiniteBody = k.firstNonFinite
		}
	}
}

// Impls returns every implementation this CPU and build can run, generic
// first. The slice is a fresh copy on each call.
func Impls() []Impl {
	return append([]Impl(nil), impls...)
}

// Active returns the name of the implementation the exported functions use:
// "generic", "avx2" or "avx512". It is one of the names in [Impls].
func Active() string {
	return active
}

// availableKernels lists the levels a CPU with the given features can run,
// generic first.
func availableKernels(avx2, avx512 bool) []kernels {
	ks := []kernels{{levelGeneric, integrateGeneric, gravityGeneric, boundsGeneric, firstNonFiniteGeneric}}
	if avx2 {
		ks = append(ks, kernels{levelAVX2, integrateAVX2, gravityAVX2, boundsAVX2, firstNonFiniteAVX2})
	}
	if avx512 {
		ks = append(ks, kernels{levelAVX512, integrateAVX512, gravityAVX512, boundsAVX512, firstNonFiniteAVX512})
	}
	return ks
}

// selectLevel decides the level from the value of GROVE_SIMD and the CPU's
// features. The default is avx2 where the CPU has it, else generic. A value
// naming a level the CPU supports (case-insensitive, spaces trimmed) selects
// it; any other value, empty, unknown or above the CPU, gives the default.
func selectLevel(env string, avx2, avx512 bool) string {
	def := levelGeneric
	if avx2 {
		def = levelAVX2
	}
	switch strings.ToLower(strings.TrimSpace(env)) {
	case levelGeneric:
		return levelGeneric
	case levelAVX2:
		if avx2 {
			return levelAVX2
		}
	case levelAVX512:
		if avx512 {
			return levelAVX512
		}
	}
	return def
}

// checked wraps the level's bodies with the exported functions' length checks.
func (k kernels) checked() Impl {
	return Impl{
		Name: k.name,
		Integrate: func(p, v []float32, dt float32) {
			checkIntegrate(p, v)
			k.integrate(p, v, dt)
		},
		Gravity: func(p, v []float32, ax, ay, dt float32) {
			checkGravity(p, v)
			k.gravity(p, v, ax, ay, dt)
		},
		Bounds: func(flags []bool, p []float32, min, max float32) {
			checkBounds(flags, p)
			k.bounds(flags, p, min, max)
		},
		FirstNonFinite: k.firstNonFinite,
	}
}
