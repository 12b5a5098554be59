//go:build !purego

package asm

// The assembly bodies of [Bounds]; they need len(p) >= 2*len(flags).

//go:noescape
func boundsAVX2(flags []bool, p []float32, min, max float32)

//go:noescape
func boundsAVX512(flags []bool, p []float32, min, max float32)
