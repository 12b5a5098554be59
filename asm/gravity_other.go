//go:build !amd64 || purego

package asm

// Without assembly the SIMD names stand for the reference, so the registry
// compiles; it never lists them, because no SIMD level is available here.

func gravityAVX2(p, v []float32, ax, ay, dt float32)   { gravityGeneric(p, v, ax, ay, dt) }
func gravityAVX512(p, v []float32, ax, ay, dt float32) { gravityGeneric(p, v, ax, ay, dt) }
