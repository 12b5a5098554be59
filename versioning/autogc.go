package versioning

import "time"

// AutoGCThreshold returns the module's automatic GC threshold: the
// simulated idle time after which a version is unloaded ([AutoGC],
// [Engine.EnableAutoGC]), or 0 when automatic GC is off. Policy layers
// that turn GC off for a while ([Engine.DisableAutoGC]) use it to restore
// the module's setting afterwards.
func (e *Engine) AutoGCThreshold(module string) (time.Duration, error) {
	var d time.Duration
	var err error
	e.read(func() {
		var m *mod
		if m, err = e.module(module); err == nil {
			d = m.gcAfter
		}
	})
	return d, err
}
