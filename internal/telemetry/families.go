package telemetry

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/deploy"
	"github.com/grove-engine/grove/versioning/deploy/stats"
)

// Sample is one series of a family: its label values (in the order of the
// family's Labels) and its value, or its histogram for a Histogram family.
type Sample struct {
	Labels []string
	Value  float64
	Hist   *StepHistogram
}

// Family is a definition with its samples.
type Family struct {
	Def
	Samples []Sample
}

// The states, phases, roles and verdicts a state set lists, in order.
var (
	states = []versioning.State{versioning.StateUnloaded, versioning.StateLoading, versioning.StateActive,
		versioning.StateDraining, versioning.StateIdle, versioning.StateFailed}
	phases = []deploy.Phase{deploy.PhasePending, deploy.PhaseProgressing, deploy.PhasePaused, deploy.PhasePromoting,
		deploy.PhaseRollingBack, deploy.PhaseCompleted, deploy.PhaseFailed, deploy.PhaseAborted}
	roles    = []deploy.Role{deploy.RoleActive, deploy.RoleCanary, deploy.RoleDeprecated, deploy.RoleFailed, deploy.RoleRetired}
	verdicts = []stats.Verdict{stats.Inconclusive, stats.Pass, stats.Fail}
)

// Families returns every family of [Defs], in order, with the samples the
// snapshot holds (a nil snapshot has none). Durations are in seconds.
func Families(s *Snapshot) []Family {
	fams := make([]Family, len(Defs))
	index := make(map[string]*Family, len(Defs))
	for i, d := range Defs {
		fams[i].Def = d
		index[d.Name] = &fams[i]
	}
	if s == nil {
		return fams
	}
	add := func(d Def, v float64, labels ...string) {
		f := index[d.Name]
		f.Samples = append(f.Samples, Sample{Labels: labels, Value: v})
	}
	add(SimTime, seconds(s.SimTime))
	add(Frames, float64(s.Frame))
	for _, mm := range s.Modules {
		m := mm.Module
		add(ModuleEntities, float64(mm.Entities), m)
		add(ModuleFrames, float64(mm.Frames), m)
		add(ModuleMissed, float64(mm.FramesMissed), m)
		add(ModuleLost, float64(mm.Lost), m)
		add(ModuleOverhead, float64(mm.OverheadBytes), m)
		for _, vm := range mm.Versions {
			v := strconv.Itoa(vm.Version)
			for _, st := range states {
				add(VersionState, b2f(vm.State == st), m, v, st.String())
			}
			add(VersionTraffic, vm.Traffic, m, v)
			add(VersionEntities, float64(vm.Entities), m, v)
			add(VersionFrames, float64(vm.Frames), m, v)
			add(VersionStepMean, seconds(vm.MeanStep), m, v)
			add(VersionStepP99, seconds(vm.P99Step), m, v)
			add(VersionMemory, float64(vm.MemoryBytes), m, v)
			add(VersionUptime, seconds(vm.Uptime), m, v)
			add(VersionLoad, seconds(vm.LoadTime), m, v)
			add(VersionErrors, float64(vm.Errors), m, v)
			add(VersionFailed, b2f(vm.Failed), m, v)
			add(VersionBackupMean, seconds(vm.MeanBackup), m, v)
			add(VersionCheckMean, seconds(vm.MeanCheck), m, v)
			add(VersionIsolation, float64(vm.IsolationViolations), m, v)
			add(VersionSoftErrors, float64(vm.SoftErrors), m, v)
			add(VersionEntitySteps, float64(vm.EntitySteps), m, v)
			for _, name := range slices.Sorted(maps.Keys(vm.Custom)) {
				add(VersionCustom, vm.Custom[name], m, v, name)
			}
		}
	}
	for i := range s.Steps {
		h := &s.Steps[i]
		f := index[VersionStepPerEntity.Name]
		f.Samples = append(f.Samples, Sample{Labels: []string{h.Module, strconv.Itoa(h.Version)}, Hist: h})
	}
	for _, d := range s.Deployments {
		m, r := d.Module, d.Name
		add(DeploymentInfo, 1, m, r, d.Strategy, strconv.Itoa(d.Baseline), strconv.Itoa(d.Candidate))
		for _, p := range phases {
			add(DeploymentPhase, b2f(d.Phase == p), m, r, p.String())
		}
		add(DeploymentStep, float64(d.Step), m, r)
		add(DeploymentSteps, float64(d.Steps), m, r)
		add(DeploymentPaused, b2f(d.Paused), m, r)
		for _, vs := range d.Versions {
			add(DeploymentWeight, vs.Weight, m, r, strconv.Itoa(vs.Version))
		}
		add(DeploymentMaxWeight, d.MaxWeight/100, m, r)
		for _, vs := range d.Versions {
			for _, role := range roles {
				add(DeploymentRole, b2f(vs.Role == role), m, r, strconv.Itoa(vs.Version), role.String())
			}
		}
		for _, vd := range verdicts {
			add(DeploymentVerdict, b2f(d.Verdict == vd), m, r, vd.String())
		}
		seen := map[string]bool{}
		for _, mr := range d.Metrics {
			v := strconv.Itoa(mr.Version)
			if seen[mr.Metric+"/"+v] {
				continue // one series per metric and version
			}
			seen[mr.Metric+"/"+v] = true
			for _, vd := range verdicts {
				add(DeploymentMetricVerdict, b2f(mr.Verdict == vd), m, r, mr.Metric, v, vd.String())
			}
		}
		if !math.IsNaN(d.Health) && !math.IsInf(d.Health, 0) {
			add(DeploymentHealth, d.Health, m, r)
		}
	}
	return fams
}

func seconds(d time.Duration) float64 { return d.Seconds() }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
