//go:build !purego

package asm

// The assembly bodies of [Integrate]; they need len(v) >= len(p).

//go:noescape
func integrateAVX2(p, v []float32, dt float32)

//go:noescape
func integrateAVX512(p, v []float32, dt float32)
