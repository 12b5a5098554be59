package htmlreport

import (
	"bytes"
	"math"
	"strconv"
	"unicode/utf8"
)

// builder accumulates the page. Every piece of caller-supplied text goes
// through text or attr, which escape it for both HTML and XML; raw is only
// ever given constant markup or numbers formatted here.
type builder struct {
	bytes.Buffer
}

// raw appends markup as is.
func (b *builder) raw(s string) { b.WriteString(s) }

// text appends s escaped for element content or a quoted attribute value.
func (b *builder) text(s string) { appendEscaped(&b.Buffer, s) }

// attr appends ` name="value"` with the value escaped.
func (b *builder) attr(name, value string) {
	b.WriteByte(' ')
	b.WriteString(name)
	b.WriteString(`="`)
	appendEscaped(&b.Buffer, value)
	b.WriteByte('"')
}

// attrNum appends ` name="f"` with f formatted by num.
func (b *builder) attrNum(name string, f float64) {
	b.WriteByte(' ')
	b.WriteString(name)
	b.WriteString(`="`)
	b.num(f)
	b.WriteByte('"')
}

// num appends a coordinate rounded to one decimal, without a trailing ".0".
func (b *builder) num(f float64) {
	var tmp [32]byte
	b.Write(appendCoord(tmp[:0], f))
}

// appendCoord appends f rounded to one decimal ("12.5", "3", "-0.5"). A
// non-finite f, which callers never pass, is written as 0 so the markup
// stays valid whatever happens.
func appendCoord(dst []byte, f float64) []byte {
	if !isFinite(f) {
		return append(dst, '0')
	}
	r := math.Round(f*10) / 10
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.AppendFloat(dst, r, 'f', -1, 64)
}

// appendEscaped writes s escaped for HTML and XML text and attribute values:
// & < > " ' become character references, invalid UTF-8 becomes U+FFFD, and
// characters XML 1.0 forbids (most C0 controls, U+FFFE, U+FFFF) are
// dropped, so an XML parser accepts the result.
func appendEscaped(buf *bytes.Buffer, s string) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch c {
			case '&':
				buf.WriteString("&amp;")
			case '<':
				buf.WriteString("&lt;")
			case '>':
				buf.WriteString("&gt;")
			case '"':
				buf.WriteString("&#34;")
			case '\'':
				buf.WriteString("&#39;")
			case '\t', '\n':
				buf.WriteByte(c)
			case '\r':
				buf.WriteString("&#13;")
			default:
				if c >= 0x20 && c != 0x7f {
					buf.WriteByte(c)
				}
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			buf.WriteRune(utf8.RuneError)
		case r == 0xfffe || r == 0xffff || (r >= 0x80 && r <= 0x9f):
			// not allowed in XML (or discouraged control characters)
		default:
			buf.WriteRune(r)
		}
	}
}

// isFinite reports whether f is neither NaN nor infinite.
func isFinite(f float64) bool {
	return !math.IsNaN(f) && !math.IsInf(f, 0)
}

// itoa formats an int in base 10.
func itoa(i int) string { return strconv.Itoa(i) }
