package versioning

import (
	"maps"
	"time"
	"unsafe"

	"github.com/grove-engine/grove/internal/selection"
)

// window is how many recent step times the p99 is computed over.
const window = 1024

// stepStats accumulates one version's per-frame costs.
type stepStats struct {
	frames     uint64
	total      time.Duration
	recent     [window]time.Duration
	errors     int
	backups    uint64
	backupTime time.Duration
	checks     uint64
	checkTime  time.Duration
	violations int
	p99At      uint64 // frames when p99Cached was computed (0: never)
	p99Cached  time.Duration
	scratch    []time.Duration // p99's copy of recent, reused
}

func (s *stepStats) record(d time.Duration) {
	s.recent[s.frames%window] = d
	s.frames++
	s.total += d
}

// recordCosts adds a step's backup and check costs.
func (s *stepStats) recordCosts(r *stepResult) {
	if r.backed {
		s.backups++
		s.backupTime += r.backup
	}
	if r.checked {
		s.checks++
		s.checkTime += r.check
	}
}

// p99 is the p99 of the recent step times. It is computed again only when
// a step was recorded since: pollers that read Metrics every frame do not
// sort 1024 durations each time.
func (s *stepStats) p99() time.Duration {
	n := min(s.frames, window)
	if n == 0 {
		return 0
	}
	if s.p99At == s.frames {
		return s.p99Cached
	}
	r := append(s.scratch[:0], s.recent[:n]...)
	s.scratch = r
	s.p99Cached, s.p99At = selection.Nth(r, (int(n)*99+99)/100-1), s.frames
	return s.p99Cached
}

func mean(total time.Duration, n uint64) time.Duration {
	if n == 0 {
		return 0
	}
	return total / time.Duration(n)
}

// VersionMetrics is one registered version's metrics.
type VersionMetrics struct {
	Version int
	// State is where the version is in its life.
	State State
	// Traffic is the version's weight in the split, 0..1.
	Traffic float64
	// Entities is how many entities the version holds now.
	Entities int
	// Frames is how many frames the version has stepped successfully.
	Frames uint64
	// MeanStep and P99Step are wall times of one step (over the last 1024
	// frames for P99).
	MeanStep, P99Step time.Duration
	// MemoryBytes is the memory of the version's world (measured after each
	// structural change), its backup and its logic (MemoryReporter).
	MemoryBytes int
	// Uptime is the simulated time since the version was loaded.
	Uptime time.Duration
	// LoadTime is how long the last load or reload took.
	LoadTime time.Duration
	// Errors counts failed steps; Failed reports whether the version is
	// failed now (no traffic until loaded or reloaded by hand).
	Errors int
	Failed bool
	// MeanBackup is the mean wall time of one backup, MeanCheck of one
	// state check.
	MeanBackup, MeanCheck time.Duration
	// IsolationViolations counts frames in which this version's step changed
	// another version's data (only with WithIsolationCheck).
	IsolationViolations int
	// SoftErrors counts the soft errors its systems reported
	// ([ecs.View.ReportSoftErrors]); EntitySteps the entity-steps it served
	// (the sum over its successful frames of the entities it stepped), the
	// denominator of a per-entity error rate.
	SoftErrors, EntitySteps uint64
	// Custom holds the metrics the version's logic reported after its last
	// step (MetricsReporter).
	Custom map[string]float64
}

// ModuleMetrics is a module's metrics.
type ModuleMetrics struct {
	Module string
	// Entities is the number of live entities.
	Entities int
	// Frames is the number of frames the module was stepped; FramesMissed
	// those in which some entity was not served (a failure with no version to
	// serve it).
	Frames, FramesMissed uint64
	// Lost counts entities removed because their state could not be
	// restored (see WithBackupEvery).
	Lost uint64
	// OverheadBytes is the memory the module holds outside any version: the
	// key table and the reusable staging buffers.
	OverheadBytes int
	// Versions holds one entry per loaded version, and per failed one, by
	// ascending number.
	Versions []VersionMetrics
}

// Metrics returns a module's metrics. It does not wait for a frame in
// progress: it reports the state as of the last frame boundary.
func (e *Engine) Metrics(module string) (ModuleMetrics, error) {
	var out ModuleMetrics
	var err error
	e.read(func() {
		var m *mod
		if m, err = e.module(module); err != nil {
			return
		}
		out = ModuleMetrics{Module: module, Entities: m.keys.live, Frames: m.frames, FramesMissed: m.missed,
			Lost: m.lost, OverheadBytes: m.overhead}
		for _, n := range m.nums {
			vr := m.versions[n]
			if vr.l == nil && vr.failed == nil {
				continue
			}
			out.Versions = append(out.Versions, e.versionMetrics(m, vr))
		}
	})
	return out, err
}

func (e *Engine) versionMetrics(m *module, vr *version) VersionMetrics {
	vm := VersionMetrics{Version: vr.num, State: m.state(vr), Traffic: m.weights[vr.num], Failed: vr.failed != nil}
	l := vr.l
	if l == nil {
		return vm
	}
	vm.Entities = l.world.Len()
	vm.Frames = l.stats.frames
	vm.MeanStep = mean(l.stats.total, l.stats.frames)
	vm.P99Step = l.stats.p99()
	vm.MemoryBytes = l.memoryBytes()
	vm.Uptime = e.now - l.loadedAt
	vm.LoadTime = l.loadTime
	vm.Errors = l.stats.errors
	vm.MeanBackup = mean(l.stats.backupTime, l.stats.backups)
	vm.MeanCheck = mean(l.stats.checkTime, l.stats.checks)
	vm.IsolationViolations = l.stats.violations
	vm.SoftErrors, vm.EntitySteps = l.soft, l.served
	if len(l.custom) > 0 {
		vm.Custom = maps.Clone(l.custom)
	}
	return vm
}

// memoryBytes is the version's accounted memory, as of the last
// measurement.
func (l *loaded) memoryBytes() int {
	return int(unsafe.Sizeof(*l)) + l.memWorld + l.memBackup + l.memLogic
}

// settle brings the module's derived bookkeeping up to date after a change:
// idle clocks, and the memory of worlds whose structure changed. It is
// called with both locks held.
func (m *module) settle(now time.Duration) {
	m.refreshIdle(now)
	for _, n := range m.loadedNums() {
		l := m.versions[n].l
		l.memBackup = l.backup.MemoryBytes()
	}
	m.overhead = m.stageBytes()
}

// measure re-measures the memory of the worlds whose structure changed
// since they were last measured (arche's statistics allocate, so this runs
// once per frame at most, not after every move). The caller holds both
// locks, and no system is running.
func (m *module) measure() {
	for _, n := range m.loadedNums() {
		l := m.versions[n].l
		if ep := l.world.Epoch(); ep != l.memEpoch {
			l.memWorld, l.memEpoch = l.world.MemoryBytes(), ep
		}
	}
}
