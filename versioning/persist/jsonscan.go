package persist

import (
	"bytes"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonScanner reads JSON (RFC 8259) from a document in memory, token by
// token, for a reader that knows the structure it expects: it never
// recurses on its own, so nesting depth is bounded by the reader.
type jsonScanner struct {
	data []byte
	pos  int
}

// tokKind is the kind of a scalar token.
type tokKind uint8

const (
	tokNumber tokKind = iota + 1
	tokString
	tokTrue
	tokFalse
	tokNull
)

func (s *jsonScanner) fail(off int, msg string) error { return &scanError{off, msg} }

func (s *jsonScanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte (0 at the end).
func (s *jsonScanner) peek() byte {
	s.ws()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

func (s *jsonScanner) expect(c byte) error {
	if s.peek() != c {
		if s.pos >= len(s.data) {
			return s.fail(s.pos, "unexpected end of document, expected "+string(c))
		}
		return s.fail(s.pos, "expected "+strconv.QuoteRune(rune(c))+", found "+strconv.QuoteRune(rune(s.data[s.pos])))
	}
	s.pos++
	return nil
}

// object calls member for each member of an object, with its name and
// offset; member must consume the value.
func (s *jsonScanner) object(member func(name []byte, off int) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	for {
		name, off, err := s.str()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := member(name, off); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.fail(s.pos, "expected , or } in an object")
		}
	}
}

// array calls elem for each element of an array, with its index and
// offset; elem must consume it.
func (s *jsonScanner) array(elem func(i, off int) error) error {
	return s.list("an array", elem)
}

// list is array for an array that errors call what ("a list of entities").
func (s *jsonScanner) list(what string, elem func(i, off int) error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.pos++
		return nil
	}
	for i := 0; ; i++ {
		if err := elem(i, s.pos); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.fail(s.pos, "expected , or ] in "+what)
		}
	}
}

// scalar reads a number, string, true, false or null. For a string it
// returns the decoded content.
func (s *jsonScanner) scalar() (tokKind, []byte, int, error) {
	c := s.peek()
	off := s.pos
	switch {
	case c == '"':
		b, off, err := s.str()
		return tokString, b, off, err
	case c == '-' || (c >= '0' && c <= '9'):
		b, err := s.number()
		return tokNumber, b, off, err
	}
	for _, lit := range []struct {
		k tokKind
		s string
	}{{tokTrue, "true"}, {tokFalse, "false"}, {tokNull, "null"}} {
		if bytes.HasPrefix(s.data[s.pos:], []byte(lit.s)) {
			s.pos += len(lit.s)
			return lit.k, s.data[off:s.pos], off, nil
		}
	}
	if s.pos >= len(s.data) {
		return 0, nil, off, s.fail(off, "unexpected end of document, expected a value")
	}
	return 0, nil, off, s.fail(off, "expected a value")
}

// number reads a JSON number and returns its text.
func (s *jsonScanner) number() ([]byte, error) {
	start := s.pos
	d := s.data
	i := s.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case digits() == 0:
		return nil, s.fail(start, "malformed number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if digits() == 0 {
			return nil, s.fail(start, "malformed number")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if digits() == 0 {
			return nil, s.fail(start, "malformed number")
		}
	}
	s.pos = i
	return d[start:i], nil
}

// str reads a string and returns its content (the input itself when it
// has no escapes) and the offset of its opening quote.
func (s *jsonScanner) str() ([]byte, int, error) {
	if s.peek() != '"' {
		if s.pos >= len(s.data) {
			return nil, s.pos, s.fail(s.pos, "unexpected end of document, expected a string")
		}
		return nil, s.pos, s.fail(s.pos, "expected a string")
	}
	off := s.pos
	s.pos++
	start := s.pos
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return s.data[start : s.pos-1], off, nil
		case c == '\\':
			return s.slowStr(start, off)
		case c < 0x20:
			return nil, off, s.fail(s.pos, "control character in a string (escape it)")
		}
		s.pos++
	}
	return nil, off, s.fail(off, "unterminated string")
}

func (s *jsonScanner) slowStr(start, off int) ([]byte, int, error) {
	out := append([]byte(nil), s.data[start:s.pos]...)
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return out, off, nil
		case c < 0x20:
			return nil, off, s.fail(s.pos, "control character in a string (escape it)")
		case c != '\\':
			out = append(out, c)
			s.pos++
			continue
		}
		if s.pos+1 >= len(s.data) {
			break
		}
		e := s.data[s.pos+1]
		s.pos += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				return nil, off, s.fail(s.pos-2, "bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				if s.pos+1 < len(s.data) && s.data[s.pos] == '\\' && s.data[s.pos+1] == 'u' {
					s.pos += 2
					r2, ok := s.hex4()
					if !ok {
						return nil, off, s.fail(s.pos-2, "bad \\u escape")
					}
					r = utf16.DecodeRune(r, r2)
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, off, s.fail(s.pos-2, "bad escape \\"+string(e))
		}
	}
	return nil, off, s.fail(off, "unterminated string")
}

func (s *jsonScanner) hex4() (rune, bool) {
	if s.pos+4 > len(s.data) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(s.data[s.pos:s.pos+4]), 16, 16)
	if err != nil {
		return 0, false
	}
	s.pos += 4
	return rune(v), true
}
