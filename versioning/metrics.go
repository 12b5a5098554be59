package versioning

import (
	"slices"
	"time"
	"unsafe"
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
}

func (s *stepStats) record(d time.Duration) {
	s.recent[s.frames%window] = d
	s.frames++
	s.total += d
}

func (s *stepStats) p99() time.Duration {
	n := min(s.frames, window)
	if n == 0 {
		return 0
	}
	r := slices.Clone(s.recent[:n])
	slices.Sort(r)
	return r[(int(n)*99+99)/100-1]
}

func mean(total time.Duration, n uint64) time.Duration {
	if n == 0 {
		return 0
	}
	return total / time.Duration(n)
}

// VersionMetrics is one loaded version's metrics.
type VersionMetrics struct {
	Version int
	// Traffic is the version's weight in the split, 0..1.
	Traffic float64
	// Entities is how many entities the version holds now.
	Entities int
	// Frames is how many frames the version has stepped successfully.
	Frames uint64
	// MeanStep and P99Step are wall times of one step (over the last 1024
	// frames for P99).
	MeanStep, P99Step time.Duration
	// MemoryBytes is the memory of the version's world, backup and logic.
	MemoryBytes int
	// Uptime is the simulated time since the version was loaded.
	Uptime time.Duration
	// LoadTime is how long the last load or reload took.
	LoadTime time.Duration
	// Errors counts failed steps; Failed reports whether the version is
	// currently failed (no traffic until reloaded).
	Errors int
	Failed bool
	// MeanBackup is the mean wall time of one backup, MeanCheck of one
	// non-finite state check.
	MeanBackup, MeanCheck time.Duration
	// IsolationViolations counts frames in which this version's step changed
	// another version's data (only with WithIsolationCheck).
	IsolationViolations int
	// Custom holds metrics the version's logic reports (MetricsReporter).
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
	// Versions holds one entry per loaded version, by ascending number.
	Versions []VersionMetrics
}

// Metrics returns a module's metrics.
func (e *Engine) Metrics(module string) (ModuleMetrics, error) {
	e.mu.Lock()
	defer e.unlock()
	m, err := e.module(module)
	if err != nil {
		return ModuleMetrics{}, err
	}
	out := ModuleMetrics{Module: module, Entities: m.live, Frames: m.frames, FramesMissed: m.missed}
	for _, n := range m.sorted() {
		l := m.loaded[n]
		vm := VersionMetrics{
			Version:             n,
			Traffic:             m.weights[n],
			Entities:            l.world.Len(),
			Frames:              l.stats.frames,
			MeanStep:            mean(l.stats.total, l.stats.frames),
			P99Step:             l.stats.p99(),
			MemoryBytes:         l.memoryBytes(),
			Uptime:              e.now - l.loadedAt,
			LoadTime:            l.loadTime,
			Errors:              l.stats.errors,
			Failed:              l.failed != nil,
			MeanBackup:          mean(l.stats.backupTime, l.stats.backups),
			MeanCheck:           mean(l.stats.checkTime, l.stats.checks),
			IsolationViolations: l.stats.violations,
		}
		if r, ok := l.logic.(MetricsReporter); ok {
			vm.Custom = r.Metrics()
		}
		out.Versions = append(out.Versions, vm)
	}
	return out, nil
}

func (l *loaded) memoryBytes() int {
	n := int(unsafe.Sizeof(*l)) + l.world.MemoryBytes() + l.backup.Bytes()
	if r, ok := l.logic.(MemoryReporter); ok {
		n += r.MemoryBytes()
	}
	return n
}
