//go:build !purego

package asm

// The assembly bodies of [Gravity]; they need len(p) even and
// len(v) >= len(p).

//go:noescape
func gravityAVX2(p, v []float32, ax, ay, dt float32)

//go:noescape
func gravityAVX512(p, v []float32, ax, ay, dt float32)
