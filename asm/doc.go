// Package asm holds Grove's SIMD kernels: the hot per-entity loops of the
// game-logic systems, written over plain slices so that the package imports
// nothing of the project.
//
// Columns are []float32 with x and y interleaved, the layout arche gives a
// {X, Y float32} component, so entity i's position is p[2i], p[2i+1].
//
// # Kernels
//
//   - [Integrate] moves positions by velocities: p += v·dt.
//   - [Gravity] accelerates then moves: v += a·dt, p += v·dt.
//   - [Bounds] flags the entities whose position leaves a square.
//   - [FirstNonFinite] finds the first NaN or ±Inf in a column.
//
// Every kernel has a pure Go reference (its doc comment states the loop) and,
// on amd64, an AVX2 and an AVX-512 body written in Go assembly. The assembly
// is bit-exact with the reference: products and sums are rounded separately
// (VMULPS then VADDPS, never FMA), exactly as the reference's explicit
// float32 conversions demand, so results match bit for bit; the only
// latitude is which NaN payload comes out when a NaN goes in.
//
// # Dispatch
//
// The implementation level is chosen once, at package initialisation, from
// the CPU's features (github.com/klauspost/cpuid/v2):
//
//   - "avx2" needs AVX, AVX2 and FMA3, and is the default where present;
//   - "avx512" needs AVX512F, AVX512VL and AVX512DQ; it is never the default:
//     on a Zen 5 it wins only while the columns fit in L1 (1.1× to 2× at 1000
//     entities) and ties with avx2 from L3 or DRAM, where these memory-bound
//     kernels spend their time;
//   - "generic" is the pure Go reference, used everywhere else.
//
// The environment variable GROVE_SIMD, read once at initialisation, forces a
// level at or below the best the CPU supports: "generic", "avx2" or "avx512"
// (case-insensitive, surrounding spaces ignored); "avx512" is how to opt in
// to AVX-512. A level the CPU (or the build) cannot run, and any other value,
// is ignored, and the default above is used.
// [Active] tells which level the exported functions use; [Impls] lists every
// level this CPU and build can run, as [Impl] values, so tests and benchmarks
// can run them side by side in one process.
//
// # Build tags
//
// The tag purego drops the assembly: with it, or on any architecture other
// than amd64, only the generic level exists.
//
// All functions are safe for concurrent use on disjoint slices; like any
// loop over slices, they race if another goroutine writes the same memory.
package asm
