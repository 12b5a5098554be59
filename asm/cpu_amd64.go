//go:build !purego

package asm

import "github.com/klauspost/cpuid/v2"

// CPU features, read once. cpuid also checks that the OS saves the wider
// registers (XCR0), so a true value means the level can really run.
var (
	hasAVX2   = cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3)
	hasAVX512 = hasAVX2 && cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512VL, cpuid.AVX512DQ)
)

// prefetchMinFloats and prefetchMaxFloats bound len(p) for which the
// streaming kernels (Integrate, Gravity) prefetch 1 KiB ahead in software:
// when p and v together (8 bytes per float of p) overflow the L2 cache but
// fit the L3, i.e. stream from L3. Measured on a Zen 5: about 8% faster
// there, but 30% slower when the columns sit in L1/L2 (the prefetches are
// pure overhead) and 10% slower from DRAM (they get in the hardware
// prefetcher's way). The assembly reads them; they are set once, here.
var prefetchMinFloats, prefetchMaxFloats = prefetchWindow(cpuid.CPU.Cache.L2, cpuid.CPU.Cache.L3)

// prefetchWindow turns cache sizes in bytes (-1 or 0 if unknown: 1 MiB of L2
// and 32 MiB of L3 are assumed) into the len(p) window of software prefetch.
func prefetchWindow(l2, l3 int) (minFloats, maxFloats int) {
	if l2 <= 0 {
		l2 = 1 << 20
	}
	if l3 <= 0 {
		l3 = 32 << 20
	}
	return l2 / 8, l3 / 8
}
