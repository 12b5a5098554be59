//go:build !amd64 || purego

package asm

// Without assembly the SIMD names stand for the reference, so the registry
// compiles; it never lists them, because no SIMD level is available here.

func boundsAVX2(flags []bool, p []float32, min, max float32)   { boundsGeneric(flags, p, min, max) }
func boundsAVX512(flags []bool, p []float32, min, max float32) { boundsGeneric(flags, p, min, max) }
