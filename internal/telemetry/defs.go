package telemetry

// Type is a metric family's Prometheus type.
type Type int

// The metric types used.
const (
	Gauge Type = iota + 1
	Counter
	Histogram
)

// String returns "gauge", "counter" or "histogram", as the exposition's
// TYPE line spells them.
func (t Type) String() string {
	switch t {
	case Gauge:
		return "gauge"
	case Counter:
		return "counter"
	case Histogram:
		return "histogram"
	}
	return "untyped"
}

// Def is one metric family's definition.
type Def struct {
	Name   string
	Help   string
	Type   Type
	Labels []string
}

// The label sets.
var (
	noLabels       []string
	moduleLabels   = []string{"module"}
	versionLabels  = []string{"module", "version"}
	rolloutLabels  = []string{"module", "rollout"}
	rolloutVersion = []string{"module", "rollout", "version"}
)

// The families, in exposition order. The engine's, the modules' and the
// versions' come from [versioning.ModuleMetrics] (every field), the step
// histogram from [versioning.Engine.LastFrame], the deployments' from
// [deploy.Status].
var (
	SimTime = Def{"grove_sim_time_seconds", "Simulated time of the engine: the sum of Tick's dt.", Gauge, noLabels}
	Frames  = Def{"grove_frames_total", "Frames the engine has ticked.", Counter, noLabels}

	ModuleEntities = Def{"grove_module_entities", "Live entities of the module.", Gauge, moduleLabels}
	ModuleFrames   = Def{"grove_module_frames_total", "Frames in which the module was stepped.", Counter, moduleLabels}
	ModuleMissed   = Def{"grove_module_frames_missed_total",
		"Frames in which some entity of the module was not served (a failure with no version to serve it).", Counter, moduleLabels}
	ModuleLost = Def{"grove_module_entities_lost_total",
		"Entities removed because their state could not be restored.", Counter, moduleLabels}
	ModuleOverhead = Def{"grove_module_overhead_bytes",
		"Memory the module holds outside any version: key table and staging buffers.", Gauge, moduleLabels}

	VersionState = Def{"grove_version_state",
		"State of the version (a state set: 1 for its state, 0 for the others).", Gauge, []string{"module", "version", "state"}}
	VersionTraffic  = Def{"grove_version_traffic_ratio", "Weight of the version in the traffic split, 0..1.", Gauge, versionLabels}
	VersionEntities = Def{"grove_version_entities", "Entities the version holds.", Gauge, versionLabels}
	VersionFrames   = Def{"grove_version_frames_total", "Frames the version has stepped successfully.", Counter, versionLabels}
	VersionStepMean = Def{"grove_version_step_mean_seconds", "Mean wall time of one step of the version.", Gauge, versionLabels}
	VersionStepP99  = Def{"grove_version_step_p99_seconds",
		"99th percentile of the wall time of one step, over the last 1024 frames.", Gauge, versionLabels}
	VersionMemory = Def{"grove_version_memory_bytes",
		"Memory of the version's world, its backup and its logic.", Gauge, versionLabels}
	VersionUptime = Def{"grove_version_uptime_seconds", "Simulated time since the version was loaded.", Gauge, versionLabels}
	VersionLoad   = Def{"grove_version_load_duration_seconds",
		"Wall time the last load or reload of the version took.", Gauge, versionLabels}
	VersionErrors     = Def{"grove_version_step_errors_total", "Failed steps of the version.", Counter, versionLabels}
	VersionFailed     = Def{"grove_version_failed", "1 if the version is failed now, else 0.", Gauge, versionLabels}
	VersionBackupMean = Def{"grove_version_backup_mean_seconds", "Mean wall time of one backup of the version's state.", Gauge, versionLabels}
	VersionCheckMean  = Def{"grove_version_check_mean_seconds", "Mean wall time of one state check of the version.", Gauge, versionLabels}
	VersionIsolation  = Def{"grove_version_isolation_violations_total",
		"Frames in which stepping the version changed another version's data.", Counter, versionLabels}
	VersionSoftErrors  = Def{"grove_version_soft_errors_total", "Soft errors the version's systems reported.", Counter, versionLabels}
	VersionEntitySteps = Def{"grove_version_entity_steps_total",
		"Entity-steps the version served: the denominator of a per-entity error rate.", Counter, versionLabels}
	VersionCustom = Def{"grove_version_custom",
		"A metric the version's logic reported after its last step, by name.", Gauge, []string{"module", "version", "metric"}}
	VersionStepPerEntity = Def{"grove_version_step_per_entity_seconds",
		"Wall time of one step of the version divided by the entities it stepped, one observation per frame.", Histogram, versionLabels}

	DeploymentInfo = Def{"grove_deployment_info",
		"A rollout (always 1): its strategy, baseline and candidate.", Gauge, []string{"module", "rollout", "strategy", "baseline", "candidate"}}
	DeploymentPhase = Def{"grove_deployment_phase",
		"Phase of the rollout (a state set: 1 for its phase, 0 for the others).", Gauge, []string{"module", "rollout", "phase"}}
	DeploymentStep   = Def{"grove_deployment_step", "Current step of the rollout (-1 before the first).", Gauge, rolloutLabels}
	DeploymentSteps  = Def{"grove_deployment_steps", "Steps in the rollout's plan.", Gauge, rolloutLabels}
	DeploymentPaused = Def{"grove_deployment_paused", "1 if the rollout is paused, else 0.", Gauge, rolloutLabels}
	DeploymentWeight = Def{"grove_deployment_weight_ratio",
		"Weight of a version involved in the rollout, 0..1.", Gauge, rolloutVersion}
	DeploymentMaxWeight = Def{"grove_deployment_max_weight_ratio",
		"Highest weight the candidate has had in the rollout, 0..1.", Gauge, rolloutLabels}
	DeploymentRole = Def{"grove_deployment_role",
		"Role of a version in the rollout (a state set: 1 for its role, 0 for the others).", Gauge, []string{"module", "rollout", "version", "role"}}
	DeploymentVerdict = Def{"grove_deployment_verdict",
		"Overall verdict of the rollout's analysis (a state set).", Gauge, []string{"module", "rollout", "verdict"}}
	DeploymentMetricVerdict = Def{"grove_deployment_metric_verdict",
		"Verdict of one metric of the rollout's analysis for one version (a state set).", Gauge,
		[]string{"module", "rollout", "metric", "version", "verdict"}}
	DeploymentHealth = Def{"grove_deployment_health_score",
		"Health score of the candidate over the analysis window, 0..100.", Gauge, rolloutLabels}
)

// Defs lists every family, in exposition order.
var Defs = []Def{
	SimTime, Frames,
	ModuleEntities, ModuleFrames, ModuleMissed, ModuleLost, ModuleOverhead,
	VersionState, VersionTraffic, VersionEntities, VersionFrames, VersionStepMean, VersionStepP99, VersionMemory,
	VersionUptime, VersionLoad, VersionErrors, VersionFailed, VersionBackupMean, VersionCheckMean, VersionIsolation,
	VersionSoftErrors, VersionEntitySteps, VersionCustom, VersionStepPerEntity,
	DeploymentInfo, DeploymentPhase, DeploymentStep, DeploymentSteps, DeploymentPaused, DeploymentWeight,
	DeploymentMaxWeight, DeploymentRole, DeploymentVerdict, DeploymentMetricVerdict, DeploymentHealth,
}

// DefaultBuckets are the upper bounds, in seconds, of the step-time-per-
// entity histogram: 1, 2.5 and 5 times each power of ten from 1 ns to
// 100 µs (a SIMD kernel steps an entity in a few nanoseconds; a small world
// pays microseconds of fixed cost per entity).
var DefaultBuckets = []float64{
	1e-9, 2.5e-9, 5e-9, 1e-8, 2.5e-8, 5e-8, 1e-7, 2.5e-7, 5e-7,
	1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4,
}
