// Package spatial is Grove's broad phase: it finds entities that touch each
// other without comparing every pair.
//
// Positions are a []float32 with x and y interleaved: entity i is at
// (pos[2i], pos[2i+1]). The package imports nothing from the rest of Grove.
//
//   - [Grid] is a uniform grid rebuilt every frame. [Grid.Build] bins the
//     positions with a counting sort into flat arrays, reordering them by cell
//     for locality; [Grid.Pairs] lists every overlapping pair of circles once;
//     [Grid.Neighbors] lists the entities within a distance of a point.
//     When far outliers stretch the bounding box, the grid keeps its cell
//     side and hashes the occupied cells instead, so the cost stays
//     O(n + pairs) however the entities spread.
//     Buffers are reused, so a warmed-up grid allocates nothing per frame.
//   - [BrutePairs] and [BruteNeighbors] are the O(n²) and O(n) references. The
//     grid returns exactly the same sets: both sides evaluate one float64
//     predicate, and the grid's cell search provably covers it for every
//     finite position, however large or negative.
//   - [Pair] is one overlapping pair, A < B.
//   - [Runner] runs numbered tasks in parallel; [Grid.SetRunner] gives a Grid
//     one (Grove's engine passes its worker pool). With 32768 entities or
//     more, Build and Pairs then split their passes into parts: a few per
//     worker, over contiguous ranges of the input, of the bands of rows and
//     of the sorted entities. Per-part counts and per-part pair buffers are
//     combined in part order, so the layout and the pairs, in their order,
//     are those of the serial code at any worker count. Without a Runner
//     everything runs on the caller; the package starts no goroutine.
//   - [ErrInvalidCell], [ErrInvalidRadius] and [ErrTooMany] are the sentinel
//     errors of bad arguments. A panic inside Build or Pairs (a bug), on
//     whichever goroutine ran the part, comes back as a [*PanicError]
//     wrapping [ErrPanic]; a failing Runner as an error wrapping
//     [ErrRunner].
//
// Entities with a NaN or infinite coordinate are skipped and counted
// ([Grid.Skipped]); they never overlap anything.
//
// The package has no build tags.
package spatial
