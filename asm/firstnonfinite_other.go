//go:build !amd64 || purego

package asm

// Without assembly the SIMD names stand for the reference, so the registry
// compiles; it never lists them, because no SIMD level is available here.

func firstNonFiniteAVX2(x []float32) int   { return firstNonFiniteGeneric(x) }
func firstNonFiniteAVX512(x []float32) int { return firstNonFiniteGeneric(x) }
