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
//   - [ErrInvalidCell], [ErrInvalidRadius] and [ErrTooMany] are the sentinel
//     errors.
//
// Entities with a NaN or infinite coordinate are skipped and counted
// ([Grid.Skipped]); they never overlap anything.
//
// The first large [Grid.Build] (32768 entities or more) starts one helper
// goroutine, shared by every Grid in the process, that takes half of the
// sorting and of the pair search when GOMAXPROCS > 1. It then waits for work
// for the life of the process. Results do not depend on it.
//
// The package has no build tags.
package spatial
