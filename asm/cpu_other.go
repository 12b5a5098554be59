//go:build !amd64 || purego

package asm

// Without the assembly only the generic level exists.
const (
	hasAVX2   = false
	hasAVX512 = false
)
