// Package htmlreport renders a self-contained HTML report of a Grove run:
// one page with inline CSS and inline SVG charts, no JavaScript and nothing
// loaded from the network, which a browser opens from disk or a live view
// re-serves.
//
// A [Report] holds a title, a subtitle, metadata ([Field]), the run's
// [Event] list and ordered sections ([Section]):
//
//   - [AreaChart]: a stacked area chart over simulated time, such as
//     entities per version; a series missing at a time counts as 0.
//   - [LineChart]: one line per [Series], with gaps where a value is NaN or
//     infinite, such as step time per entity per version.
//   - [Table]: headers ([Column]) and rows of [Cell]; [Pass] and [Fail]
//     cells show as ✓/✗ badges, for metrics and assertions.
//   - [EventTable]: the report's events by time, kind and text.
//   - [Timeline]: per [Deployment] a lane with the candidate's weight as a
//     step chart, its numbered [Decision] markers and its verdict badge,
//     then a table of the decisions.
//
// Every time chart draws the report's events as dashed vertical markers
// coloured by [EventKind], shares one time axis (so charts line up on the
// page) and one colour per series name: versions "v1", "v2", ... always get
// the same entry of the colour-blind-safe [Palette].
//
// [Render] writes the page. [WithRefresh] adds a meta refresh for live
// views; [WithMaxPoints] bounds the points per series, which [Downsample]
// (largest-triangle-three-buckets) reduces to, so a long run stays a small
// file. Output is deterministic, well-formed XML as well as HTML, and every
// caller-supplied string is escaped.
//
// Each chart is an <svg class="chart"> with a data-kind attribute ("area",
// "line", "timeline"), a <title> and an aria-label; each section is a
// <section> with an id and a data-kind. Series are <path class="series">
// with a data-series attribute, event markers <g class="marker">.
//
// scripts/check-report.sh renders a page in headless Chromium, fails on any
// console message and saves a screenshot; the package's tests run it when
// /usr/bin/chromium exists.
//
// There are no build tags.
package htmlreport
