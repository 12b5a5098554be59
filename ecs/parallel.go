package ecs

import "sync"

// copyGrain is the chunk granularity of parallel copies, in bytes (a page),
// and copyMin the smallest total a copy is split for: below it, one core
// copies faster than handing chunks over.
const (
	copyGrain = 4096
	copyMin   = 1 << 20
)

// copier copies a list of byte ranges as one: on a [Runner]'s workers when
// the total is large (one core cannot saturate a server's memory
// bandwidth), else on the caller. A copy is a copy, so the bits are the
// same at any worker count. It allocates nothing once its lists have grown.
type copier struct {
	dst, src [][]byte
	ends     []int // ends[i]: the byte offset where job i ends
	fn       func(lo, hi int)
}

// add queues copy(dst, src); dst and src must have the same length.
func (c *copier) add(dst, src []byte) {
	if len(src) == 0 {
		return
	}
	end := len(src)
	if k := len(c.ends); k > 0 {
		end += c.ends[k-1]
	}
	c.dst, c.src, c.ends = append(c.dst, dst), append(c.src, src), append(c.ends, end)
}

// do runs the queued copies and empties the queue.
func (c *copier) do(r Runner) {
	total := 0
	if k := len(c.ends); k > 0 {
		total = c.ends[k-1]
	}
	if r == nil || r.Workers() == 1 || total < copyMin {
		for i := range c.dst {
			copy(c.dst[i], c.src[i])
		}
	} else {
		if c.fn == nil {
			c.fn = c.run
		}
		_ = r.For(total, copyGrain, c.fn) // a copy cannot panic
	}
	clear(c.dst)
	clear(c.src)
	c.dst, c.src, c.ends = c.dst[:0], c.src[:0], c.ends[:0]
}

// run copies bytes [lo, hi) of the queued ranges, seen as one.
func (c *copier) run(lo, hi int) {
	for i, end := range c.ends {
		start := end - len(c.src[i])
		if end <= lo || start >= hi {
			continue
		}
		a, b := max(lo, start)-start, min(hi, end)-start
		copy(c.dst[i][a:b], c.src[i][a:b])
	}
}

// scanGrain is the chunk granularity of a parallel non-finite scan, in rows.
const scanGrain = 256

// scanner finds the first non-finite row of a Columns on a Runner's
// workers: each chunk scans its rows, and the lowest row found wins, so the
// answer does not depend on timing.
type scanner struct {
	mu    sync.Mutex
	cols  Columns // what is scanned (held here, so that nothing escapes)
	row   int
	field string
	fn    func(lo, hi int)
}

// scan scans s.cols.
func (s *scanner) scan(r Runner) (int, string) {
	n := s.cols.Len()
	if r == nil || r.Workers() == 1 || n < 4*scanGrain*r.Workers() {
		return s.cols.firstNonFinite(0, n)
	}
	if s.fn == nil {
		s.fn = s.chunk
	}
	s.row, s.field = -1, ""
	_ = r.For(n, scanGrain, s.fn) // the scan cannot panic
	return s.row, s.field
}

func (s *scanner) chunk(lo, hi int) {
	row, field := s.cols.firstNonFinite(lo, hi)
	if row < 0 {
		return
	}
	s.mu.Lock()
	if s.row < 0 || row < s.row {
		s.row, s.field = row, field
	}
	s.mu.Unlock()
}
