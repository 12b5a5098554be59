package persist

import (
	"unsafe"

	"github.com/grove-engine/grove/ecs"
)

// nativeLE reports whether the machine is little-endian, like the format:
// then columns are written and read as they are in memory. On a big-endian
// machine every multi-byte scalar is swapped on the way in and out.
var nativeLE = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// swapped returns a copy of rows of s with every multi-byte scalar's bytes
// reversed (little-endian ↔ big-endian).
func swapped(rows []byte, s *ecs.Schema) []byte {
	out := make([]byte, len(rows))
	copy(out, rows)
	swapRows(out, s)
	return out
}

// swapRows reverses, in place, the bytes of every multi-byte scalar of
// every row of s in rows.
func swapRows(rows []byte, s *ecs.Schema) {
	if s.Size <= 0 {
		return
	}
	for r := 0; r+s.Size <= len(rows); r += s.Size {
		row := rows[r : r+s.Size]
		for _, f := range s.Fields {
			sz := f.Kind.Size()
			if sz <= 1 {
				continue
			}
			for i := range f.Count {
				v := row[f.Offset+i*sz : f.Offset+(i+1)*sz]
				for a, b := 0, sz-1; a < b; a, b = a+1, b-1 {
					v[a], v[b] = v[b], v[a]
				}
			}
		}
	}
}
