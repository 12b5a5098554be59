//go:build linux

package asm

import (
	"math/rand/v2"
	"os"
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// pageEnd returns n elements ending exactly where an inaccessible page
// begins, so any read or write past the end faults and fails the test run.
func pageEnd[T any](t *testing.T, n int) []T {
	t.Helper()
	page := os.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	require.NoError(t, err)
	t.Cleanup(func() { _ = syscall.Munmap(mem) })
	require.NoError(t, syscall.Mprotect(mem[page:], syscall.PROT_NONE))
	var zero T
	size := int(unsafe.Sizeof(zero))
	require.LessOrEqual(t, n*size, page)
	all := unsafe.Slice((*T)(unsafe.Pointer(&mem[0])), page/size)
	return all[len(all)-n:]
}

// TestNoReadPastEnd runs every kernel on inputs that end at an inaccessible
// page: the tails (masked loads, scalar loops) must not touch memory past
// the slices, even where a wider load would be harmless elsewhere.
func TestNoReadPastEnd(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, im := range Impls() {
		t.Run(im.Name, func(t *testing.T) {
			for n := 0; n <= 130; n++ { // entities
				p := pageEnd[float32](t, 2*n)
				v := pageEnd[float32](t, 2*n)
				flags := pageEnd[bool](t, n)
				fill(r, p, finiteSpecials)
				fill(r, v, finiteSpecials)
				im.Integrate(p, v, 0.5)
				im.Integrate(p[:len(p)/2*2-min(n, 1)], v, 0.5) // odd lengths too
				im.Gravity(p, v, 1, 2, 0.5)
				im.Bounds(flags, p, -1, 1)
				require.Equal(t, firstNonFiniteGeneric(p), im.FirstNonFinite(p))
				require.Equal(t, firstNonFiniteGeneric(p[min(n, 1):]), im.FirstNonFinite(p[min(n, 1):]))
			}
		})
	}
}
