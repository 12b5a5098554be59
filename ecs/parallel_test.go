package ecs

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	workpool "github.com/grove-engine/grove/internal/pool"
)

// TestParallelCopyEqualsCopy: the copier's chunked copy over any number of
// workers writes exactly what plain copies write, for ranges of any sizes.
func TestParallelCopyEqualsCopy(t *testing.T) {
	for _, workers := range []int{1, 2, 3, 8} {
		p := workpool.New(workers)
		for seed := range uint64(20) {
			rng := rand.New(rand.NewPCG(seed, uint64(workers)))
			var cp copier
			var want, got [][]byte
			for range 1 + rng.IntN(6) {
				n := rng.IntN(1 << 19)
				src := make([]byte, n)
				for i := range src {
					src[i] = byte(rng.Uint32())
				}
				want = append(want, bytes.Clone(src))
				dst := make([]byte, n)
				got = append(got, dst)
				cp.add(dst, src)
			}
			cp.do(p)
			for i := range want {
				require.Equal(t, want[i], got[i], "workers %d seed %d range %d", workers, seed, i)
			}
		}
		p.Close()
	}
}

// TestParallelScanFindsTheLowestRow: the parallel non-finite scan gives the
// serial scan's answer, the lowest row and its field, at any worker count.
func TestParallelScanFindsTheLowestRow(t *testing.T) {
	l := MustLayout(cPos, cVel, cMass, cWide)
	for _, workers := range []int{1, 2, 8} {
		p := workpool.New(workers)
		for seed := range uint64(30) {
			rng := rand.New(rand.NewPCG(seed, 3))
			w, err := NewWorld(l, 0)
			require.NoError(t, err)
			w.SetRunner(p)
			c := MakeColumns(l, 20000+rng.IntN(20000))
			for range rng.IntN(4) {
				r := rng.IntN(c.Len())
				switch rng.IntN(3) {
				case 0:
					Column(&c, cVel)[r].Y = float32(math.Inf(1))
				case 1:
					Column(&c, cMass)[r] = float32(math.NaN())
				default:
					Column(&c, cWide)[r].V[1] = math.NaN()
				}
			}
			require.NoError(t, w.Append(&c))
			wantRow, wantField := c.FirstNonFinite()
			row, field := w.FirstNonFinite()
			require.Equal(t, wantRow, row, "workers %d seed %d", workers, seed)
			require.Equal(t, wantField, field, "workers %d seed %d", workers, seed)
		}
		p.Close()
	}
}

// TestParallelBackupAndAppendEqualSerial: a backup and a block append of a
// large world, on 8 workers, hold exactly the world's bytes.
func TestParallelBackupAndAppendEqualSerial(t *testing.T) {
	p := workpool.New(8)
	defer p.Close()
	l := MustLayout(cPos, cVel, cFlag, cMass, cColor, cTriple, cWide, cID)
	src, _ := randomRows(rand.New(rand.NewPCG(9, 9)), l, 0, 60000)
	w, err := NewWorld(l, 0)
	require.NoError(t, err)
	w.SetRunner(p)
	w.AppendFrom(&src, nil)
	got := w.Columns()
	require.True(t, Equal(&src, &got))
	var b Backup
	b.Take(w, l.Set())
	require.True(t, Equal(b.Columns(), &got))
	Column(&got, cPos)[123].X = 42
	b.Take(w, SetOf(cPos))
	require.True(t, Equal(b.Columns(), &got))
}
