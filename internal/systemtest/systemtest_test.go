package systemtest_test

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/internal/systemtest"
	"github.com/grove-engine/grove/systems/scenario"
)

// recorder is a testing.TB that records failures instead of reporting them,
// so that these tests can check that the helpers do fail when they should: a
// helper that cannot fail is a defect.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	failed bool
	msgs   []string
}

func (r *recorder) Helper()             {}
func (r *recorder) Log(...any)          {}
func (r *recorder) Logf(string, ...any) {}
func (r *recorder) Fail()               { r.mu.Lock(); r.failed = true; r.mu.Unlock() }
func (r *recorder) FailNow()            { r.Fail(); runtime.Goexit() }
func (r *recorder) Failed() bool        { r.mu.Lock(); defer r.mu.Unlock(); return r.failed }
func (r *recorder) Error(args ...any)   { r.Errorf("%s", fmt.Sprint(args...)) }
func (r *recorder) Fatal(args ...any)   { r.Error(args...); r.FailNow() }
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); r.FailNow() }

// outcome runs fn against a recorder on its own goroutine (FailNow ends it)
// and returns the recorder.
func outcome(t *testing.T, fn func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r
}

// mustFail asserts that fn fails, with a message containing want.
func mustFail(t *testing.T, want string, fn func(tb testing.TB)) {
	t.Helper()
	r := outcome(t, fn)
	require.True(t, r.Failed(), "the helper did not fail (want %q)", want)
	assert.Contains(t, strings.Join(r.msgs, "\n"), want)
}

// mustPass asserts that fn passes.
func mustPass(t *testing.T, fn func(tb testing.TB)) {
	t.Helper()
	r := outcome(t, fn)
	assert.False(t, r.Failed(), "the helper failed:\n%s", strings.Join(r.msgs, "\n"))
}

func TestLayoutsAreTheDocumentedOnes(t *testing.T) {
	for _, v := range systemtest.Versions {
		systemtest.CheckLayout(t, systemtest.Layout(v), v)
	}
	assert.Equal(t, []byte{0, 0, 0x80, 0x3f}, systemtest.DocDefault(3, "mass"), "mass 1 (little-endian float32)")
	assert.Equal(t, []byte{0}, systemtest.DocDefault(2, "collided"))
	assert.Nil(t, systemtest.DocDefault(2, "mass"))
	assert.Panics(t, func() { systemtest.Layout(4) })
	assert.Panics(t, func() { systemtest.Documented(0) })
}

func TestCheckLayoutFails(t *testing.T) {
	p, v, c, m := scenario.Position, scenario.Velocity, scenario.Collided, scenario.Mass
	mustFail(t, "components", func(tb testing.TB) { systemtest.CheckLayout(tb, ecs.MustLayout(p, v, c), 3) })
	mustFail(t, "components", func(tb testing.TB) { systemtest.CheckLayout(tb, ecs.MustLayout(p, v, c, m), 2) })
	mustFail(t, "default of mass", func(tb testing.TB) { systemtest.CheckLayout(tb, ecs.MustLayout(p, v, c, m), 3) })
	mustFail(t, "default of collided", func(tb testing.TB) {
		systemtest.CheckLayout(tb, ecs.MustLayout(p, v, ecs.Default(c, true), ecs.Default(m, 1)), 3)
	})
	wide := ecs.MustRegister[struct{ X, Y float64 }]("position")
	mustFail(t, "schema of position", func(tb testing.TB) { systemtest.CheckLayout(tb, ecs.MustLayout(wide, v), 1) })
	mustPass(t, func(tb testing.TB) {
		systemtest.CheckLayout(tb, ecs.MustLayout(ecs.Default(m, 1), c, v, p), 3)
	})
}

func TestRowsHoldRandomValuesOverJunk(t *testing.T) {
	l := systemtest.Layout(3)
	for _, comp := range l.Components() {
		assert.NotEqual(t, l.DefaultBytes(comp.ID()), systemtest.JunkRow(comp), comp.Name())
	}
	b := systemtest.ReusedBuffer(l, 10)
	require.Zero(t, b.Len())
	for _, comp := range l.Components() {
		raw := b.Raw(comp.ID())
		all := raw[:cap(raw)]
		require.GreaterOrEqual(t, len(all), 10*comp.Size())
		for i := range 10 {
			assert.Equal(t, systemtest.JunkRow(comp), all[i*comp.Size():(i+1)*comp.Size()], "%s row %d", comp.Name(), i)
		}
	}

	rng := systemtest.NewRand(t, 1)
	c := systemtest.MigrationRows(rng, l, 1000)
	require.NoError(t, c.Validate())
	keys := map[ecs.Key]bool{}
	for i, k := range c.Keys {
		assert.Equal(t, uint32(i), k.Index())
		keys[k] = true
	}
	assert.Len(t, keys, 1000)
	patterns := map[uint32]bool{}
	for _, x := range systemtest.Float32Bits(&c, scenario.Position) {
		patterns[x] = true
	}
	for _, p := range systemtest.BitPatterns {
		assert.True(t, patterns[p], "bit pattern %#08x never drawn", p)
	}
	flags := ecs.Column(&c, scenario.Collided)
	assert.Contains(t, flags, true)
	assert.Contains(t, flags, false)
}

func TestCheckOnlyWritesCatchesEveryComponent(t *testing.T) {
	l := systemtest.Layout(3)
	rng := systemtest.NewRand(t, 2)
	rows := systemtest.MigrationRows(rng, l, 20)
	w := systemtest.NewWorld(t, l, &rows)
	for _, comp := range l.Components() {
		before := systemtest.Take(w)
		mustPass(t, func(tb testing.TB) { systemtest.CheckOnlyWrites(tb, w, before, ecs.Set{}, "nothing") })
		c := w.Columns()
		c.Raw(comp.ID())[13*comp.Size()] ^= 0x40
		mustFail(t, "undeclared write to "+comp.Name(), func(tb testing.TB) {
			systemtest.CheckOnlyWrites(tb, w, before, l.Set().Minus(ecs.SetOf(comp)), "all but "+comp.Name())
		})
		mustPass(t, func(tb testing.TB) { systemtest.CheckOnlyWrites(tb, w, before, ecs.SetOf(comp), comp.Name()) })
	}
	before := systemtest.Take(w)
	c := w.Columns()
	c.Keys[3]++
	mustFail(t, "keys", func(tb testing.TB) { systemtest.CheckOnlyWrites(tb, w, before, l.Set(), "keys") })
	c.Keys[3]--
	more := systemtest.MigrationRows(rng, l, 1)
	require.NoError(t, w.Append(&more))
	mustFail(t, "row count", func(tb testing.TB) { systemtest.CheckOnlyWrites(tb, w, before, l.Set(), "append") })
	_, err := w.RemoveRows([]int32{20})
	require.NoError(t, err)
	mustFail(t, "structural change", func(tb testing.TB) { systemtest.CheckOnlyWrites(tb, w, before, l.Set(), "append+remove") })
}

func TestRunFrameCatchesBadSystems(t *testing.T) {
	l := systemtest.Layout(2)
	rng := systemtest.NewRand(t, 3)
	rows := systemtest.MigrationRows(rng, l, 5)
	w := systemtest.NewWorld(t, l, &rows)
	flip := func(v *ecs.View, _ float32) error {
		c := v.Columns()
		ecs.Column(&c, scenario.Collided)[2] = !ecs.Column(&c, scenario.Collided)[2]
		return nil
	}
	mustPass(t, func(tb testing.TB) {
		systemtest.RunFrame(tb, w, ecs.Schedule{{Name: "flip", Writes: ecs.SetOf(scenario.Collided), Run: flip}}, 0)
	})
	mustFail(t, "undeclared write to collided", func(tb testing.TB) {
		systemtest.RunFrame(tb, w, ecs.Schedule{{Name: "flip", Writes: ecs.SetOf(scenario.Position), Run: flip}}, 0)
	})
	mustFail(t, "left a query open", func(tb testing.TB) {
		systemtest.RunFrame(tb, w, ecs.Schedule{{Name: "open", Run: func(v *ecs.View, _ float32) error {
			q := v.Query()
			q.Next()
			return nil
		}}}, 0)
	})
	assert.Zero(t, w.Unlock(), "RunFrame released the lock")
	mustFail(t, "boom", func(tb testing.TB) {
		systemtest.RunFrame(tb, w, ecs.Schedule{{Name: "boom", Run: func(*ecs.View, float32) error { return errors.New("boom") }}}, 0)
	})
}

func TestCheckMigratedCatchesBadSteps(t *testing.T) {
	rng := systemtest.NewRand(t, 4)
	for _, n := range []int{1, 7} {
		src := systemtest.MigrationRows(rng, systemtest.Layout(2), n)
		to := systemtest.Layout(3)
		mustPass(t, func(tb testing.TB) {
			got := systemtest.CheckMigrated(tb, rng, ecs.Migration{From: 2, To: 3}, &src, to)
			assert.Equal(tb, n, got.Len())
		})
		for name, bad := range map[string]struct {
			convert func(src, dst *ecs.Columns) error
			want    string
		}{
			"mass not 1": {func(_, dst *ecs.Columns) error {
				ecs.Column(dst, scenario.Mass)[n-1] = 2
				return nil
			}, "default"},
			"position moved": {func(_, dst *ecs.Columns) error {
				ecs.Column(dst, scenario.Position)[0].X++
				return nil
			}, "position bits"},
			"flag flipped": {func(_, dst *ecs.Columns) error {
				ecs.Column(dst, scenario.Collided)[n/2] = !ecs.Column(dst, scenario.Collided)[n/2]
				return nil
			}, "collided bytes"},
			"source changed": {func(src, _ *ecs.Columns) error {
				ecs.Column(src, scenario.Velocity)[0].Y = 3
				return nil
			}, "source rows changed"},
		} {
			t.Run(fmt.Sprintf("%s/n=%d", name, n), func(t *testing.T) {
				src := src.Clone()
				mustFail(t, bad.want, func(tb testing.TB) {
					systemtest.CheckMigrated(tb, rng, ecs.Migration{From: 2, To: 3, Convert: bad.convert}, &src, to)
				})
			})
		}
	}
	src := systemtest.MigrationRows(rng, systemtest.Layout(1), 3)
	mustFail(t, "precondition", func(tb testing.TB) {
		systemtest.CheckMigrated(tb, rng, ecs.Migration{From: 2, To: 3}, &src, systemtest.Layout(3))
	})
	mustFail(t, "precondition", func(tb testing.TB) {
		systemtest.CheckMigrated(tb, rng, ecs.Migration{From: 1, To: 3}, &src, systemtest.Layout(2))
	})
}

func TestMigrationFindsExactlyOne(t *testing.T) {
	migs := []ecs.Migration{{From: 1, To: 2}, {From: 2, To: 1}, {From: 2, To: 1}}
	mustPass(t, func(tb testing.TB) { assert.Equal(tb, 2, systemtest.Migration(tb, migs, 1, 2).To) })
	mustFail(t, "migrations declared 2→1", func(tb testing.TB) { systemtest.Migration(tb, migs, 2, 1) })
	mustFail(t, "migrations declared 1→3", func(tb testing.TB) { systemtest.Migration(tb, migs, 1, 3) })
}

func TestRunnerCoversEveryRowOnce(t *testing.T) {
	for _, chunks := range []int{0, 1, 2, 3, 7} {
		for _, grain := range []int{0, 1, 3, 8} {
			for n := range 50 {
				r := systemtest.Runner{Chunks: chunks}
				hits := make([]int, n)
				var mu sync.Mutex
				var bounds []int
				require.NoError(t, r.For(n, grain, func(lo, hi int) {
					mu.Lock()
					bounds = append(bounds, lo, hi)
					mu.Unlock()
					for i := lo; i < hi; i++ {
						hits[i]++
					}
				}))
				for i, h := range hits {
					require.Equal(t, 1, h, "chunks=%d grain=%d n=%d row %d", chunks, grain, n, i)
				}
				for _, b := range bounds {
					assert.True(t, b == n || b%max(grain, 1) == 0, "chunks=%d grain=%d n=%d: bound %d", chunks, grain, n, b)
				}
				if n > 0 {
					assert.LessOrEqual(t, len(bounds)/2, max(chunks, 1), "chunks=%d grain=%d n=%d", chunks, grain, n)
				}
			}
		}
	}
	err := systemtest.Runner{Chunks: 4}.For(100, 8, func(lo, _ int) {
		if lo > 0 {
			panic("chunk")
		}
	})
	assert.Error(t, err)
}
