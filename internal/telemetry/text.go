package telemetry

import (
	"bufio"
	"io"
	"math"
	"strconv"
	"strings"
)

// ContentType is the media type of what [WriteText] writes.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// WriteText writes the families in the Prometheus text exposition format
// 0.0.4: for each family with samples, its HELP and TYPE lines, then one
// line per sample (a histogram's cumulative _bucket lines, +Inf last, then
// _sum and _count). Families without samples are left out, as client_golang
// does. Label values and help texts are escaped.
func WriteText(w io.Writer, fams []Family) error {
	bw := bufio.NewWriter(w)
	for _, f := range fams {
		if len(f.Samples) == 0 {
			continue
		}
		bw.WriteString("# HELP " + f.Name + " " + escapeHelp(f.Help) + "\n")
		bw.WriteString("# TYPE " + f.Name + " " + f.Type.String() + "\n")
		for _, s := range f.Samples {
			if f.Type != Histogram {
				line(bw, f.Name, f.Labels, s.Labels, "", "", s.Value)
				continue
			}
			h := s.Hist
			for i, b := range h.Bounds {
				line(bw, f.Name+"_bucket", f.Labels, s.Labels, "le", formatFloat(b), float64(h.Cumulative[i]))
			}
			line(bw, f.Name+"_bucket", f.Labels, s.Labels, "le", "+Inf", float64(h.Count))
			line(bw, f.Name+"_sum", f.Labels, s.Labels, "", "", h.Sum)
			line(bw, f.Name+"_count", f.Labels, s.Labels, "", "", float64(h.Count))
		}
	}
	return bw.Flush()
}

// line writes one sample line; extra, if not empty, is one more label.
func line(w *bufio.Writer, name string, keys, values []string, extra, extraValue string, v float64) {
	w.WriteString(name)
	if len(keys) > 0 || extra != "" {
		w.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				w.WriteByte(',')
			}
			w.WriteString(k + `="` + escapeLabel(values[i]) + `"`)
		}
		if extra != "" {
			if len(keys) > 0 {
				w.WriteByte(',')
			}
			w.WriteString(extra + `="` + extraValue + `"`)
		}
		w.WriteByte('}')
	}
	w.WriteByte(' ')
	w.WriteString(formatFloat(v))
	w.WriteByte('\n')
}

// formatFloat writes a value as client_golang's text format does.
func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

var (
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
