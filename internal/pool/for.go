package pool

// MinFor is the fewest elements [Pool.For] splits: below it (16 KiB of
// float32s, a few microseconds of simple per-element work), handing chunks
// to helpers costs more than it saves, and For calls fn(0, n) on the caller.
const MinFor = 4096

// minChunk is the fewest elements in any chunk but the last.
const minChunk = 1024

// chunksPerWorker is how many chunks For cuts per worker, at most: more
// than one, so that when a helper is late or busy the others take its share.
const chunksPerWorker = 4

// Chunks returns how [Pool.For] splits [0, n) for this pool: count chunks of
// size elements, the last one shorter when size does not divide n. size is
// a multiple of grain (grain < 1 counts as 1) unless count is 1, and chunk
// c is [c*size, min((c+1)*size, n)).
//
// The split depends only on n, grain and [Pool.Workers]: count is 1 when n <
// [MinFor], when there is one worker, or when grain >= n; otherwise it is at
// most 4 chunks per worker, each of at least 1024 elements and a whole number
// of grains. Callers that keep per-chunk results (for a reduction whose
// rounding must not depend on timing) size them with count and index them
// with lo/size. Chunks returns 0, 0 for n <= 0.
func (p *Pool) Chunks(n, grain int) (size, count int) {
	if n <= 0 {
		return 0, 0
	}
	grain = max(grain, 1)
	w := p.Workers()
	if w == 1 || n < MinFor || grain >= n {
		return n, 1
	}
	units := (n-1)/grain + 1
	k := min(chunksPerWorker*w, units, n/minChunk)
	if k <= 1 {
		return n, 1
	}
	size = ((units-1)/k + 1) * grain
	return size, (n-1)/size + 1
}

// For calls fn(lo, hi) over contiguous chunks that together cover [0, n)
// once, as [Pool.Chunks] splits it, and returns when all calls have
// returned; chunks may run in any order and at the same time. Below
// [MinFor] elements, or on one worker, it calls fn(0, n) on the caller,
// handing nothing to helpers. With n <= 0 it does nothing.
//
// Panics are handled as by [Pool.Run], chunks taking the place of tasks: the
// error names the lowest chunk that panicked, and every other chunk runs.
// For is safe for concurrent use and from inside a task, and allocates
// nothing once warmed up.
func (p *Pool) For(n, grain int, fn func(lo, hi int)) error {
	size, count := p.Chunks(n, grain)
	return p.run(count, nil, fn, n, size)
}
