package htmlreport

import (
	"regexp"
	"strconv"
)

// palette is the Okabe-Ito colour-blind-safe palette (without its yellow,
// too pale on white, and black, kept for text), extended with two darker
// tones. Version vN gets palette[(N-1) % len(palette)].
var palette = [...]string{
	"#0072b2", // blue
	"#e69f00", // orange
	"#009e73", // bluish green
	"#cc79a7", // reddish purple
	"#56b4e9", // sky blue
	"#d55e00", // vermillion
	"#6b4c9a", // dark violet
	"#8c6d31", // olive brown
}

// Palette returns the series colours as CSS hex strings, in order: version
// "v1" gets the first, "v2" the second, and so on, wrapping around. The
// first colours follow the Okabe-Ito colour-blind-safe palette. The
// returned slice is a fresh copy.
func Palette() []string {
	return append([]string(nil), palette[:]...)
}

var versionName = regexp.MustCompile(`^[vV]([0-9]{1,6})$`)

// versionIndex returns N-1 for a name "vN" with N ≥ 1, or -1.
func versionIndex(name string) int {
	m := versionName.FindStringSubmatch(name)
	if m == nil {
		return -1
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n < 1 {
		return -1
	}
	return n - 1
}

var hexColor = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// colors assigns a colour to every series name of a report, so that one
// name has one colour on every chart.
type colors struct {
	byName map[string]string
	next   int // next palette slot for names that are not versions
}

// newColors walks the report's sections in order and assigns colours:
// version names their fixed slot, other names the following slots in order
// of first appearance. Explicit Series.Color values win for that series
// only and are looked up at draw time.
func newColors(r *Report) *colors {
	c := &colors{byName: map[string]string{}}
	var others []string
	see := func(name string) {
		if _, ok := c.byName[name]; ok {
			return
		}
		if i := versionIndex(name); i >= 0 {
			c.byName[name] = palette[i%len(palette)]
			c.next = max(c.next, i+1)
			return
		}
		c.byName[name] = ""
		others = append(others, name)
	}
	for _, s := range r.Sections {
		switch s := deref(s).(type) {
		case AreaChart:
			for _, se := range s.Series {
				see(se.Name)
			}
		case LineChart:
			for _, se := range s.Series {
				see(se.Name)
			}
		case Timeline:
			for _, d := range s.Deployments {
				see(d.colorKey())
			}
		}
	}
	for i, name := range others {
		c.byName[name] = palette[(c.next+i)%len(palette)]
	}
	return c
}

// of returns the colour for a series: its explicit colour, else the one
// assigned to its name.
func (c *colors) of(name, explicit string) string {
	if explicit != "" {
		return explicit
	}
	if col, ok := c.byName[name]; ok && col != "" {
		return col
	}
	return palette[0]
}

func (d Deployment) colorKey() string {
	if d.Version != "" {
		return d.Version
	}
	return d.Name
}

// EventKind is the kind of an Event; it sets the marker's colour. The zero
// value is EventInfo.
type EventKind int

// The event kinds.
const (
	// EventInfo is a neutral fact (a version loaded).
	EventInfo EventKind = iota
	// EventStep is a traffic split step (canary start, 30%, 50%...).
	EventStep
	// EventGC is a version unloaded by the garbage collector.
	EventGC
	// EventFailure is a version failing (panic, NaN, budget overrun).
	EventFailure
	// EventRollback is entities moved back to a previous version.
	EventRollback
	// EventDecision is a deployment controller's decision.
	EventDecision
)

// String returns "info", "step", "gc", "failure", "rollback" or "decision".
func (k EventKind) String() string {
	switch k {
	case EventInfo:
		return "info"
	case EventStep:
		return "step"
	case EventGC:
		return "gc"
	case EventFailure:
		return "failure"
	case EventRollback:
		return "rollback"
	case EventDecision:
		return "decision"
	}
	return "EventKind(" + itoa(int(k)) + ")"
}

// color returns the marker colour of an event kind.
func (k EventKind) color() string {
	switch k {
	case EventStep:
		return "#334155"
	case EventGC:
		return "#a16207"
	case EventFailure:
		return "#dc2626"
	case EventRollback:
		return "#c026d3"
	case EventDecision:
		return "#7c3aed"
	}
	return "#6b7280"
}

// statusColor returns the colour of a status badge's icon and border.
func statusColor(s Status) string {
	switch s {
	case StatusPass:
		return "#15803d"
	case StatusFail:
		return "#b91c1c"
	case StatusWarn:
		return "#b45309"
	}
	return "#475569"
}

// statusIcon returns the badge glyph of a status.
func statusIcon(s Status) string {
	switch s {
	case StatusPass:
		return "✓"
	case StatusFail:
		return "✗"
	case StatusWarn:
		return "!"
	}
	return ""
}
