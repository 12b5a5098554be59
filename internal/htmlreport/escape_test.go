package htmlreport

import (
	"bytes"
	"encoding/xml"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                 "plain",
		`<a href="x">&'</a>`:    "&lt;a href=&#34;x&#34;&gt;&amp;&#39;&lt;/a&gt;",
		"tab\tnl\ncr\r":         "tab\tnl\ncr&#13;",
		"nul\x00esc\x1bdel\x7f": "nulescdel",
		"bad\xffutf8":           "bad\ufffdutf8",
		"\ufffe\uffff\u0085":    "",
		"→ ✓ 中文":                "→ ✓ 中文",
	} {
		var buf bytes.Buffer
		appendEscaped(&buf, in)
		assert.Equal(t, want, buf.String(), "%q", in)
	}
}

func FuzzEscapeParses(f *testing.F) {
	f.Add("<script>&amp;\"'\x00\xff]]>")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		buf.WriteString(`<p title="`)
		appendEscaped(&buf, s)
		buf.WriteString(`">`)
		appendEscaped(&buf, s)
		buf.WriteString(`</p>`)
		d := xml.NewDecoder(&buf)
		d.Strict = true
		var v struct {
			Title string `xml:"title,attr"`
			Text  string `xml:",chardata"`
		}
		require.NoError(t, d.Decode(&v), "%q", s)
		assert.Equal(t, v.Title, v.Text)
	})
}

func TestAppendCoord(t *testing.T) {
	for in, want := range map[float64]string{
		0: "0", 1: "1", 12.34: "12.3", 12.35: "12.4", -0.04: "0", -3.25: "-3.3", 1e6: "1000000",
		math.NaN(): "0", math.Inf(1): "0",
	} {
		assert.Equal(t, want, string(appendCoord(nil, in)), "%v", in)
	}
}
