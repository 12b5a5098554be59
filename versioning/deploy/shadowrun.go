package deploy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/versioning"
)

// shadowRun is the machinery of a shadow rollout: a fresh instance of the
// candidate's logic over a private world, fed copies of sampled entities.
// It touches the engine only through Export (to pick the sample), Peek and
// Convert, which change nothing.
type shadowRun struct {
	e      *versioning.Engine
	module string
	cand   int
	clock  func() time.Duration
	n      int
	rng    *rand.Rand
	layout *ecs.Layout
	logic  ecs.Logic
	sched  ecs.Schedule
	world  *ecs.World
	keys   []ecs.Key
	prev   map[int]ecs.Columns
	prevAt uint64
	prevT  time.Duration
	rep    ShadowReport
	comps  map[string]*ComponentDivergence
	live   map[int]bool
	cost   struct {
		cand, live   time.Duration
		candN, liveN int64
	}
}

func newShadowRun(e *versioning.Engine, module string, cand, sample int, seed uint64, clock func() time.Duration) (*shadowRun, error) {
	v, err := e.VersionOf(module, cand)
	if err != nil {
		return nil, err
	}
	layout, err := e.LayoutOf(module, cand)
	if err != nil {
		return nil, err
	}
	s := &shadowRun{e: e, module: module, cand: cand, clock: clock, n: sample, layout: layout,
		rng: rand.New(rand.NewPCG(seed, 0x5ad0)), comps: map[string]*ComponentDivergence{}, live: map[int]bool{}}
	s.rep.Candidate = cand
	if err := guard(func() error {
		var err error
		if s.logic, err = v.NewLogic(); err != nil {
			return err
		}
		if s.logic == nil {
			return errors.New("NewLogic returned nil")
		}
		s.sched = s.logic.Schedule()
		if s.world, err = ecs.NewWorld(layout, sample); err != nil {
			return err
		}
		if in, ok := s.logic.(versioning.Initializer); ok {
			return in.Init(s.world.View())
		}
		return nil
	}); err != nil {
		s.close()
		return nil, fmt.Errorf("%w: shadow instance of v%d: %w", ErrBadConfig, cand, err)
	}
	return s, nil
}

// close releases the candidate's instance.
func (s *shadowRun) close() {
	if c, ok := s.logic.(versioning.Closer); ok {
		_ = guard(func() error { c.Close(); return nil })
	}
	s.logic = nil
}

// guard runs f, turning a panic into an error.
func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return f()
}

// resample picks the sample afresh: the module's keys, sorted, shuffled by
// the seeded source.
func (s *shadowRun) resample() error {
	all, err := s.e.Export(s.module)
	if err != nil {
		return err
	}
	var keys []ecs.Key
	for _, v := range slices.Sorted(maps.Keys(all)) {
		c := all[v]
		keys = append(keys, c.Keys...)
	}
	slices.Sort(keys)
	s.rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	s.keys = keys[:min(len(keys), s.n)]
	slices.Sort(s.keys)
	s.rep.Entities = len(s.keys)
	return nil
}

// frame runs after each engine frame: it compares the candidate's step of
// the sample's state before the frame with what the live versions made of
// it, then keeps the state after the frame for the next one.
func (s *shadowRun) frame(frame uint64, now time.Duration, last []versioning.FrameStat) {
	if len(s.keys) == 0 {
		if err := s.resample(); err != nil || len(s.keys) == 0 {
			s.prev = nil
			return
		}
	}
	after, err := s.e.Peek(s.module, s.keys)
	if err != nil {
		// An entity of the sample was despawned: pick another sample.
		s.prev, s.keys = nil, nil
		return
	}
	if s.prev != nil && frame == s.prevAt+1 {
		s.compare(after, now-s.prevT, last)
	}
	s.prev, s.prevAt, s.prevT = after, frame, now
}

// compare steps the candidate over the converted state before the frame
// and compares the result with after.
func (s *shadowRun) compare(after map[int]ecs.Columns, dt time.Duration, last []versioning.FrameStat) {
	s.world.RemoveAll()
	for _, v := range slices.Sorted(maps.Keys(s.prev)) {
		cols := s.prev[v]
		in := cols
		if v != s.cand {
			conv, err := s.e.Convert(s.module, v, s.cand, &cols)
			if err != nil {
				s.fail(err)
				return
			}
			in = conv
		}
		if err := s.world.Append(&in); err != nil {
			s.fail(err)
			return
		}
	}
	view := s.world.View()
	sec := float32(dt.Seconds())
	t0 := s.clock()
	var err error
	for i := range s.sched {
		sys := &s.sched[i]
		err = guard(func() error { return sys.Run(view, sec) })
		if n := s.world.Unlock(); n > 0 && err == nil {
			err = fmt.Errorf("system %q left %d queries open", sys.Name, n)
		}
		if err != nil {
			err = fmt.Errorf("system %q: %w", sys.Name, err)
			break
		}
	}
	took := s.clock() - t0
	s.rep.SoftErrors += int64(s.world.TakeSoftErrors())
	if err != nil {
		s.fail(err)
		return
	}
	s.rep.Frames++
	s.cost.cand += took
	s.cost.candN += int64(s.world.Len())
	for v := range s.prev {
		s.live[v] = true
		for _, fs := range last {
			if fs.Version == v && !fs.Failed && fs.Entities > 0 {
				s.cost.live += fs.Step
				s.cost.liveN += int64(fs.Entities)
			}
		}
	}
	s.diff(after)
}

func (s *shadowRun) fail(err error) {
	s.rep.Errors++
	s.rep.LastError = err.Error()
}

// diff compares every component the candidate and the live entity both
// hold (same name and layout), value by value.
func (s *shadowRun) diff(after map[int]ecs.Columns) {
	type at struct {
		v   int
		row int
	}
	where := make(map[ecs.Key]at, len(s.keys))
	for v, c := range after {
		for r, k := range c.Keys {
			where[k] = at{v, r}
		}
	}
	got := s.world.Columns()
	for _, comp := range s.layout.Components() {
		d := s.comps[comp.Name()]
		if d == nil {
			d = &ComponentDivergence{Component: comp.Name()}
			s.comps[comp.Name()] = d
		}
		size := comp.Size()
		fields := comp.Schema().Fields
		mine := got.Raw(comp.ID())
		for r, k := range got.Keys {
			w, ok := where[k]
			if !ok {
				continue
			}
			live := after[w.v]
			lc := live.Layout().Component(comp.ID())
			if lc == nil || !lc.SameLayout(comp) {
				continue
			}
			theirs := live.Raw(comp.ID())
			compareValue(d, fields, mine[r*size:(r+1)*size], theirs[w.row*size:(w.row+1)*size])
		}
	}
}

// compareValue compares one component value field by field.
func compareValue(d *ComponentDivergence, fields []ecs.Field, a, b []byte) {
	for _, f := range fields {
		sz := f.Kind.Size()
		for i := range f.Count {
			off := f.Offset + i*sz
			x, y := a[off:off+sz], b[off:off+sz]
			d.Values++
			var diff float64
			switch f.Kind {
			case ecs.KindFloat32:
				diff = math.Abs(float64(math.Float32frombits(binary.NativeEndian.Uint32(x))) -
					float64(math.Float32frombits(binary.NativeEndian.Uint32(y))))
				d.floats++
			case ecs.KindFloat64:
				diff = math.Abs(math.Float64frombits(binary.NativeEndian.Uint64(x)) - math.Float64frombits(binary.NativeEndian.Uint64(y)))
				d.floats++
			}
			if string(x) != string(y) {
				d.Differing++
			}
			if f.Kind == ecs.KindFloat32 || f.Kind == ecs.KindFloat64 {
				if math.IsNaN(diff) || math.IsInf(diff, 0) {
					continue
				}
				d.sumAbs += diff
				d.MaxAbs = max(d.MaxAbs, diff)
			}
		}
	}
}

// report returns the report so far.
func (s *shadowRun) report() *ShadowReport {
	r := s.rep
	r.Live = slices.Sorted(maps.Keys(s.live))
	r.Components = nil
	for _, name := range slices.Sorted(maps.Keys(s.comps)) {
		c := *s.comps[name]
		if c.Values == 0 {
			continue // the live versions do not hold it
		}
		if c.floats > 0 {
			c.MeanAbs = c.sumAbs / float64(c.floats)
		}
		r.Components = append(r.Components, c)
	}
	if s.cost.candN > 0 {
		r.CandidateNsPerEntity = float64(s.cost.cand.Nanoseconds()) / float64(s.cost.candN)
	}
	if s.cost.liveN > 0 {
		r.LiveNsPerEntity = float64(s.cost.live.Nanoseconds()) / float64(s.cost.liveN)
	}
	if r.LiveNsPerEntity > 0 {
		r.CostRatio = r.CandidateNsPerEntity / r.LiveNsPerEntity
	}
	return &r
}
