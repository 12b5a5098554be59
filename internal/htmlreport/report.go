package htmlreport

// Report is everything one page shows: a header (title, subtitle, overall
// verdict, metadata), the run's events, and an ordered list of sections.
//
// Render only reads a Report: it never modifies it or the slices it holds,
// so one Report may be rendered from several goroutines at once as long as
// nobody changes it meanwhile.
type Report struct {
	// Title is the page's heading and <title>.
	Title string
	// Subtitle is an optional line under the title.
	Subtitle string
	// Verdict is an optional badge beside the title (for example
	// Pass("10/10 assertions")); a zero Cell shows nothing.
	Verdict Cell
	// Meta lists key-value facts about the run (machine, date, entities,
	// seed...), shown in the given order.
	Meta []Field
	// TimeLabel labels the x axis of every time chart. Empty means
	// "simulated time (s)".
	TimeLabel string
	// TimeRange fixes the x domain shared by every time chart. The zero
	// value (or any range whose Max is not above Min) means automatic: the
	// span of all the time sections' data and of Events.
	TimeRange Range
	// Events are the run's notable moments. Every AreaChart, LineChart and
	// Timeline draws them as vertical dashed markers (unless its HideEvents
	// is set), and an EventTable section lists them.
	Events []Event
	// Sections are shown in order. Each must be one of *AreaChart,
	// *LineChart, *Table, *EventTable or *Timeline (or the same types by
	// value); nil entries are skipped.
	Sections []Section
}

// Field is one key-value pair of a report's metadata.
type Field struct {
	Key   string
	Value string
}

// Range is a closed interval on the time axis, in seconds.
type Range struct {
	Min, Max float64
}

// valid reports whether r is a usable, non-empty finite range.
func (r Range) valid() bool {
	return isFinite(r.Min) && isFinite(r.Max) && r.Max > r.Min
}

// Point is one sample of a series: X is the time in seconds, Y the value.
// Points whose X or Y is NaN or infinite are never drawn.
type Point struct {
	X, Y float64
}

// Series is one named sequence of samples.
type Series struct {
	// Name identifies the series in legends and tooltips, and picks its
	// colour: "v1", "v2", ... always get the same palette entry (see
	// Palette), other names the next free entries in order of first
	// appearance in the report.
	Name string
	// Color overrides the palette with a CSS hex colour ("#0072b2" or
	// "#07b"); empty means the palette colour for Name.
	Color string
	// Points are the samples. They need not be sorted by X; Render sorts a
	// copy.
	Points []Point
}

// Event is one notable moment of a run, drawn as a marker on the time
// charts and listed by an EventTable.
type Event struct {
	// At is the simulated time in seconds.
	At float64
	// Kind picks the marker's colour and the table's badge.
	Kind EventKind
	// Label is the short text shown beside the marker ("canary 10%").
	Label string
	// Detail is an optional longer text for the event table and the
	// marker's tooltip.
	Detail string
}

// Status marks a table cell, a verdict or a decision as passed, failed or
// neither. The zero value is StatusNone.
type Status int

// The statuses a Cell can carry.
const (
	// StatusNone shows the text without a badge.
	StatusNone Status = iota
	// StatusPass shows a green ✓ badge.
	StatusPass
	// StatusFail shows a red ✗ badge.
	StatusFail
	// StatusWarn shows an amber ! badge (in progress, degraded).
	StatusWarn
)

// String returns "none", "pass", "fail" or "warn".
func (s Status) String() string {
	switch s {
	case StatusNone:
		return "none"
	case StatusPass:
		return "pass"
	case StatusFail:
		return "fail"
	case StatusWarn:
		return "warn"
	}
	return "Status(" + itoa(int(s)) + ")"
}

// Cell is one table cell, verdict or badge: a text and an optional status.
// A cell with a status other than StatusNone is shown as a badge (✓, ✗ or
// !) followed by the text, or by the status word when Text is empty.
type Cell struct {
	Text   string
	Status Status
}

// Text returns a plain cell.
func Text(s string) Cell { return Cell{Text: s} }

// Pass returns a cell shown as a green ✓ badge.
func Pass(s string) Cell { return Cell{Text: s, Status: StatusPass} }

// Fail returns a cell shown as a red ✗ badge.
func Fail(s string) Cell { return Cell{Text: s, Status: StatusFail} }

// Check returns Pass(s) when ok holds and Fail(s) otherwise.
func Check(ok bool, s string) Cell {
	if ok {
		return Pass(s)
	}
	return Fail(s)
}

// Section is one block of the page. It is implemented only by this
// package's *AreaChart, *LineChart, *Table, *EventTable and *Timeline (and
// the same types by value).
type Section interface {
	// Kind tells which kind of section this is.
	Kind() SectionKind
	// head returns the section's id, title and note.
	head() (id, title, note string)
}

// SectionKind names the kind of a Section. Its String form is the
// data-kind attribute of the section and of its chart.
type SectionKind int

// The section kinds.
const (
	// KindArea is an AreaChart.
	KindArea SectionKind = iota + 1
	// KindLine is a LineChart.
	KindLine
	// KindTable is a Table.
	KindTable
	// KindEvents is an EventTable.
	KindEvents
	// KindTimeline is a Timeline.
	KindTimeline
)

// String returns "area", "line", "table", "events" or "timeline".
func (k SectionKind) String() string {
	switch k {
	case KindArea:
		return "area"
	case KindLine:
		return "line"
	case KindTable:
		return "table"
	case KindEvents:
		return "events"
	case KindTimeline:
		return "timeline"
	}
	return "SectionKind(" + itoa(int(k)) + ")"
}

// AreaChart is a stacked area chart over the time axis, for quantities that
// add up (entities per version). The first series is at the bottom of the
// stack.
//
// The series are stacked on the union of their X values; a series that has
// no sample at one of those times counts as 0 there, so a version loaded late
// or unloaded by GC simply has no samples outside its life. Non-finite
// samples are dropped, as if missing.
type AreaChart struct {
	// ID is the section's HTML id (letters, digits, '-', '_', starting with
	// a letter). Empty means "section-N", N its 1-based position.
	ID string
	// Title is the section heading; Note an optional line under it.
	Title, Note string
	// YLabel labels the y axis, unit included ("entities").
	YLabel string
	// Series are the stacked quantities, bottom first.
	Series []Series
	// HideEvents turns off the report's event markers on this chart.
	HideEvents bool
}

// Kind returns KindArea.
func (AreaChart) Kind() SectionKind { return KindArea }

func (c AreaChart) head() (string, string, string) { return c.ID, c.Title, c.Note }

// LineChart draws one line per series over the time axis, with an
// automatically scaled y axis that starts at 0 unless a value is negative.
//
// A line breaks (shows a gap) where a sample's Y is NaN or infinite — that
// sample itself is skipped — and, when MaxGap is positive, between two
// consecutive samples more than MaxGap seconds apart.
type LineChart struct {
	// ID is the section's HTML id; see AreaChart.ID.
	ID string
	// Title is the section heading; Note an optional line under it.
	Title, Note string
	// YLabel labels the y axis, unit included ("step time (ns/entity)").
	YLabel string
	// Series are the lines, drawn in order (the last on top).
	Series []Series
	// MaxGap, when positive, breaks a line between consecutive samples
	// more than MaxGap seconds apart. Zero joins every pair.
	MaxGap float64
	// HideEvents turns off the report's event markers on this chart.
	HideEvents bool
}

// Kind returns KindLine.
func (LineChart) Kind() SectionKind { return KindLine }

func (c LineChart) head() (string, string, string) { return c.ID, c.Title, c.Note }

// Column is the header of one table column.
type Column struct {
	// Title is the header text.
	Title string
	// Numeric right-aligns the column with tabular figures.
	Numeric bool
}

// Table is a plain table: headers and rows of cells. Cells with a status
// show as ✓/✗ badges, which suits a metrics table or a list of assertions.
type Table struct {
	// ID is the section's HTML id; see AreaChart.ID.
	ID string
	// Title is the section heading; Note an optional line under it.
	Title, Note string
	// Columns are the headers. Each row holds at most len(Columns) cells;
	// shorter rows are padded with empty cells.
	Columns []Column
	// Rows are the table's body, in order.
	Rows [][]Cell
}

// Kind returns KindTable.
func (Table) Kind() SectionKind { return KindTable }

func (t Table) head() (string, string, string) { return t.ID, t.Title, t.Note }

// EventTable lists the report's Events sorted by time (events at the same
// time keep their order): time, kind, label and detail.
type EventTable struct {
	// ID is the section's HTML id; see AreaChart.ID.
	ID string
	// Title is the section heading; Note an optional line under it.
	Title, Note string
}

// Kind returns KindEvents.
func (EventTable) Kind() SectionKind { return KindEvents }

func (t EventTable) head() (string, string, string) { return t.ID, t.Title, t.Note }

// Timeline shows deployments over the time axis: per deployment a lane with
// the candidate's traffic weight as a step chart, numbered markers for its
// decisions and its verdict badge, followed by a table of every decision
// (time, action, reason).
type Timeline struct {
	// ID is the section's HTML id; see AreaChart.ID.
	ID string
	// Title is the section heading; Note an optional line under it.
	Title, Note string
	// Deployments are the lanes, top first.
	Deployments []Deployment
	// HideEvents turns off the report's event markers on this chart.
	HideEvents bool
}

// Kind returns KindTimeline.
func (Timeline) Kind() SectionKind { return KindTimeline }

func (t Timeline) head() (string, string, string) { return t.ID, t.Title, t.Note }

// Deployment is one rollout of a candidate version.
type Deployment struct {
	// Name labels the lane ("v2 canary").
	Name string
	// Version picks the lane's colour the way Series.Name does; empty
	// means Name.
	Version string
	// Weight is the candidate's traffic share in percent (0 to 100) over
	// time, as a step function: each point's value holds until the next
	// point's time, the last one until the end of the time axis. Before the
	// first point the weight is 0. Non-finite points are skipped.
	Weight []Point
	// Decisions are the controller's decisions, in any order.
	Decisions []Decision
	// Verdict is the deployment's outcome badge ("rolled back", failed).
	Verdict Cell
}

// Decision is one decision of a deployment controller.
type Decision struct {
	// At is the simulated time in seconds.
	At float64
	// Action is what was decided ("advance", "hold", "rollback").
	Action string
	// Reason says why, with the numbers behind it.
	Reason string
	// Status colours the marker and the action: pass (green) for a healthy
	// step, fail (red) for a rollback, none (neutral) otherwise.
	Status Status
}
