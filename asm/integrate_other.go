//go:build !amd64 || purego

package asm

// Without assembly the SIMD names stand for the reference, so the registry
// compiles; it never lists them, because no SIMD level is available here.

func integrateAVX2(p, v []float32, dt float32)   { integrateGeneric(p, v, dt) }
func integrateAVX512(p, v []float32, dt float32) { integrateGeneric(p, v, dt) }
