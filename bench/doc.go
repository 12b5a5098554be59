// Package bench holds Grove's benchmarks: the engine's own costs (migration,
// rollback, backups, per-Tick overhead), the SIMD kernels against their
// baselines, the spatial broad phase against brute force, and whole frames of
// each game-logic version.
//
// Every benchmark that claims a speed-up runs its baseline in the same run and
// reports ns/entity with [testing.B.ReportMetric], so ratios stay honest on a
// noisy machine. Run them with
//
//	go test -run '^$' -bench . ./bench/
//
// There is nothing to import here: the package only has tests.
package bench
