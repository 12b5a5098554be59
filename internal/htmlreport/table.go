package htmlreport

import "strings"

// fitWidth is the longest cell text, in characters, of a column that is
// kept as narrow as its content; wider columns share the rest of the width.
const fitWidth = 22

// columnClasses returns the class attribute of each column's cells: "num"
// for numeric columns, "fit" for columns whose texts are all short (at
// least one column, the last if need be, is left to take the free width).
func columnClasses(t Table) []string {
	classes := make([]string, len(t.Columns))
	anyWide := false
	fit := make([]bool, len(t.Columns))
	for i, c := range t.Columns {
		longest := len([]rune(c.Title))
		for _, row := range t.Rows {
			if i < len(row) {
				n := len([]rune(row[i].Text))
				if row[i].Status != StatusNone {
					n += 3
				}
				longest = max(longest, n)
			}
		}
		fit[i] = longest <= fitWidth
		anyWide = anyWide || !fit[i]
	}
	if !anyWide && len(fit) > 0 {
		fit[len(fit)-1] = false
	}
	for i, c := range t.Columns {
		var cls []string
		if c.Numeric {
			cls = append(cls, "num")
		}
		if fit[i] {
			cls = append(cls, "fit")
		}
		classes[i] = strings.Join(cls, " ")
	}
	return classes
}

// table writes an HTML table. Rows shorter than the header are padded.
func table(b *builder, t Table) {
	classes := columnClasses(t)
	b.raw("<div class=\"table-wrap\"><table class=\"data\">\n<thead><tr>")
	for i, c := range t.Columns {
		b.raw("<th")
		if classes[i] != "" {
			b.attr("class", classes[i])
		}
		b.raw(">")
		b.text(c.Title)
		b.raw("</th>")
	}
	b.raw("</tr></thead>\n<tbody>\n")
	for _, row := range t.Rows {
		b.raw("<tr>")
		for i := range t.Columns {
			b.raw("<td")
			if classes[i] != "" {
				b.attr("class", classes[i])
			}
			b.raw(">")
			if i < len(row) {
				cell(b, row[i])
			}
			b.raw("</td>")
		}
		b.raw("</tr>\n")
	}
	b.raw("</tbody>\n</table></div>\n")
}

// cell writes a cell's content: plain text, or a badge when it has a
// status.
func cell(b *builder, c Cell) {
	if c.Status == StatusNone {
		b.text(c.Text)
		return
	}
	badge(b, c, "badge")
}

// eventTable writes the table of the report's events, sorted by time.
func (rd *renderer) eventTable(b *builder) {
	if len(rd.events) == 0 {
		b.raw("<p class=\"empty\">No events.</p>\n")
		return
	}
	b.raw("<div class=\"table-wrap\"><table class=\"data events\">\n<thead><tr><th class=\"num fit\">t (s)</th><th class=\"fit\">kind</th><th>event</th><th>detail</th></tr></thead>\n<tbody>\n")
	for _, e := range rd.events {
		b.raw("<tr")
		b.attr("data-kind", e.Kind.String())
		b.raw("><td class=\"num fit\">")
		b.text(formatSeconds(e.At))
		b.raw("</td><td class=\"fit\"><span class=\"kind\"")
		b.attr("style", "color:"+e.Kind.color()+";border-color:"+e.Kind.color())
		b.raw(">")
		b.text(e.Kind.String())
		b.raw("</span></td><td>")
		b.text(e.Label)
		b.raw("</td><td class=\"detail\">")
		b.text(e.Detail)
		b.raw("</td></tr>\n")
	}
	b.raw("</tbody>\n</table></div>\n")
}
