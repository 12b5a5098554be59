package prometheus

import "github.com/grove-engine/grove/internal/telemetry"

// SnapshotOf returns the recorder's latest snapshot, for the tests that
// compare the collector with the core module's text writer.
func SnapshotOf(r *Recorder) *telemetry.Snapshot { return r.r.Snapshot() }
