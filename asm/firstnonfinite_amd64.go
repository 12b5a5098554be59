//go:build !purego

package asm

// The assembly bodies of [FirstNonFinite].

//go:noescape
func firstNonFiniteAVX2(x []float32) int

//go:noescape
func firstNonFiniteAVX512(x []float32) int
