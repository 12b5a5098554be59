package bench

import (
	"fmt"
	"testing"

	"github.com/grove-engine/grove/systems/v3"
	"github.com/grove-engine/grove/versioning"
)

// BenchmarkFrame runs one whole frame of each version over its own world of n
// entities: its schedule plus the engine's non-finite state check.
// version=3-nocontacts is v3 without the entity-entity contact pass
// (gravity, bounds and the state check only).
func BenchmarkFrame(b *testing.B) {
	noContacts, err := v3.New(v3.WithContacts(false))
	must(b, err)
	vs := versions(b)
	cases := []struct {
		name string
		v    versioning.Version
	}{{"1", vs[0]}, {"2", vs[1]}, {"3", vs[2]}, {"3-nocontacts", noContacts}}
	for _, c := range cases {
		for _, n := range []int{1000, 100000, 1000000} {
			b.Run(fmt.Sprintf("version=%s/n=%d", c.name, n), func(b *testing.B) {
				w := world(b, c.v, n)
				logic, err := c.v.NewLogic()
				must(b, err)
				sched := logic.Schedule()
				dt := float32(frame.Seconds())
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					for _, sys := range sched {
						must(b, sys.Run(w.View(), dt))
					}
					cols := w.Columns()
					if row, _ := cols.FirstNonFinite(); row >= 0 {
						b.Fatalf("non-finite state at row %d", row)
					}
				}
				perEntity(b, n)
			})
		}
	}
}
