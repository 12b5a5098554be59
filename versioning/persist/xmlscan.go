package persist

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// xmlScanner is a small pull parser for the XML Grove writes and people
// edit: elements with attributes, whitespace between them, comments,
// processing instructions (the XML declaration) and a DOCTYPE with an
// internal subset, which it skips (the reader checks the document against
// the file's own schema, which says more than the DTD can). Character data
// other than whitespace, CDATA sections and entities other than the five
// predefined ones and character references are errors. It works on the
// whole document in memory and reports byte offsets.
type xmlScanner struct {
	data    []byte
	pos     int
	stack   [][]byte
	attrs   []xmlAttr
	pending bool // a self-closing tag's end is due
	done    bool // the root element is closed
}

type xmlAttr struct {
	name, value []byte
	off         int // of the value
}

type xmlEvent struct {
	end  bool // an end tag (else a start tag, whose attributes are in attrs)
	eof  bool
	name []byte
	off  int
}

// scanError is a syntax error at a byte offset.
type scanError struct {
	off int
	msg string
}

func (e *scanError) Error() string { return e.msg }

func (s *xmlScanner) fail(off int, msg string) error { return &scanError{off, msg} }

// next returns the next start or end tag, or eof.
func (s *xmlScanner) next() (xmlEvent, error) {
	if s.pending {
		s.pending = false
		name := s.stack[len(s.stack)-1]
		s.stack = s.stack[:len(s.stack)-1]
		s.done = len(s.stack) == 0
		return xmlEvent{end: true, name: name, off: s.pos}, nil
	}
	for {
		// Character data up to the next '<': whitespace only.
		lt := bytes.IndexByte(s.data[s.pos:], '<')
		text := s.data[s.pos:]
		if lt >= 0 {
			text = text[:lt]
		}
		for i, c := range text {
			if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
				return xmlEvent{}, s.fail(s.pos+i, "unexpected text (values go in attributes)")
			}
		}
		if lt < 0 {
			s.pos = len(s.data)
			if len(s.stack) > 0 {
				return xmlEvent{}, s.fail(s.pos, "document ends inside <"+string(s.stack[len(s.stack)-1])+">")
			}
			if !s.done {
				return xmlEvent{}, s.fail(s.pos, "no root element")
			}
			return xmlEvent{eof: true, off: s.pos}, nil
		}
		s.pos += lt
		rest := s.data[s.pos:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest[4:], []byte("-->"))
			if end < 0 {
				return xmlEvent{}, s.fail(s.pos, "unterminated comment")
			}
			s.pos += 4 + end + 3
		case bytes.HasPrefix(rest, []byte("<?")):
			end := bytes.Index(rest[2:], []byte("?>"))
			if end < 0 {
				return xmlEvent{}, s.fail(s.pos, "unterminated processing instruction")
			}
			s.pos += 2 + end + 2
		case bytes.HasPrefix(rest, []byte("<!DOCTYPE")):
			if s.done || len(s.stack) > 0 {
				return xmlEvent{}, s.fail(s.pos, "DOCTYPE after the root element")
			}
			if err := s.skipDoctype(); err != nil {
				return xmlEvent{}, err
			}
		case bytes.HasPrefix(rest, []byte("<!")):
			return xmlEvent{}, s.fail(s.pos, "unexpected markup declaration or CDATA section")
		case bytes.HasPrefix(rest, []byte("</")):
			return s.endTag()
		default:
			return s.startTag()
		}
	}
}

// skipDoctype skips <!DOCTYPE ... [ internal subset ] >.
func (s *xmlScanner) skipDoctype() error {
	start := s.pos
	i := s.pos + len("<!DOCTYPE")
	inSubset := false
	for i < len(s.data) {
		c := s.data[i]
		switch {
		case c == '"' || c == '\'':
			end := bytes.IndexByte(s.data[i+1:], c)
			if end < 0 {
				return s.fail(i, "unterminated quoted string in DOCTYPE")
			}
			i += end + 2
			continue
		case inSubset && bytes.HasPrefix(s.data[i:], []byte("<!--")):
			end := bytes.Index(s.data[i+4:], []byte("-->"))
			if end < 0 {
				return s.fail(i, "unterminated comment in DOCTYPE")
			}
			i += 4 + end + 3
			continue
		case c == '[' && !inSubset:
			inSubset = true
		case c == ']' && inSubset:
			inSubset = false
		case c == '>' && !inSubset:
			s.pos = i + 1
			return nil
		}
		i++
	}
	return s.fail(start, "unterminated DOCTYPE")
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// name scans an XML name at s.pos.
func (s *xmlScanner) name() []byte {
	start := s.pos
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		if isSpace(c) || c == '=' || c == '>' || c == '/' || c == '<' || c == '"' || c == '\'' || c == '&' {
			break
		}
		s.pos++
	}
	return s.data[start:s.pos]
}

func (s *xmlScanner) skipSpace() {
	for s.pos < len(s.data) && isSpace(s.data[s.pos]) {
		s.pos++
	}
}

func (s *xmlScanner) endTag() (xmlEvent, error) {
	off := s.pos
	s.pos += 2
	name := s.name()
	s.skipSpace()
	if s.pos >= len(s.data) || s.data[s.pos] != '>' {
		return xmlEvent{}, s.fail(s.pos, "malformed end tag")
	}
	s.pos++
	if len(s.stack) == 0 {
		return xmlEvent{}, s.fail(off, "end tag </"+string(name)+"> without a start tag")
	}
	if top := s.stack[len(s.stack)-1]; !bytes.Equal(top, name) {
		return xmlEvent{}, s.fail(off, "end tag </"+string(name)+"> closes <"+string(top)+">")
	}
	s.stack = s.stack[:len(s.stack)-1]
	s.done = len(s.stack) == 0
	return xmlEvent{end: true, name: name, off: off}, nil
}

func (s *xmlScanner) startTag() (xmlEvent, error) {
	off := s.pos
	if s.done {
		return xmlEvent{}, s.fail(off, "content after the root element")
	}
	s.pos++
	name := s.name()
	if len(name) == 0 {
		return xmlEvent{}, s.fail(off, "malformed start tag")
	}
	s.attrs = s.attrs[:0]
	for {
		sp := s.pos
		s.skipSpace()
		if s.pos >= len(s.data) {
			return xmlEvent{}, s.fail(off, "unterminated start tag <"+string(name)+">")
		}
		switch s.data[s.pos] {
		case '>':
			s.pos++
			s.stack = append(s.stack, name)
			return xmlEvent{name: name, off: off}, nil
		case '/':
			if s.pos+1 >= len(s.data) || s.data[s.pos+1] != '>' {
				return xmlEvent{}, s.fail(s.pos, "malformed empty-element tag")
			}
			s.pos += 2
			s.stack = append(s.stack, name)
			s.pending = true
			return xmlEvent{name: name, off: off}, nil
		}
		if s.pos == sp {
			return xmlEvent{}, s.fail(s.pos, "attributes must be separated by spaces")
		}
		if err := s.attr(); err != nil {
			return xmlEvent{}, err
		}
	}
}

func (s *xmlScanner) attr() error {
	at := s.pos
	name := s.name()
	if len(name) == 0 {
		return s.fail(s.pos, "expected an attribute name")
	}
	s.skipSpace()
	if s.pos >= len(s.data) || s.data[s.pos] != '=' {
		return s.fail(s.pos, "expected = after attribute "+string(name))
	}
	s.pos++
	s.skipSpace()
	if s.pos >= len(s.data) || (s.data[s.pos] != '"' && s.data[s.pos] != '\'') {
		return s.fail(s.pos, "expected a quoted value for attribute "+string(name))
	}
	q := s.data[s.pos]
	s.pos++
	end := bytes.IndexByte(s.data[s.pos:], q)
	if end < 0 {
		return s.fail(at, "unterminated value of attribute "+string(name))
	}
	raw := s.data[s.pos : s.pos+end]
	voff := s.pos
	s.pos += end + 1
	for _, a := range s.attrs {
		if bytes.Equal(a.name, name) {
			return s.fail(at, "attribute "+string(name)+" appears twice")
		}
	}
	val, err := s.decode(raw, voff)
	if err != nil {
		return err
	}
	s.attrs = append(s.attrs, xmlAttr{name: name, value: val, off: voff})
	return nil
}

// decode resolves references and normalises whitespace in an attribute
// value, as XML requires; a value with neither is returned as it is.
func (s *xmlScanner) decode(raw []byte, off int) ([]byte, error) {
	special := false
	for _, c := range raw {
		if c == '&' || c == '<' || c == '\t' || c == '\n' || c == '\r' {
			special = true
			break
		}
	}
	if !special {
		return raw, nil
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch c {
		case '<':
			return nil, s.fail(off+i, "< in an attribute value (write &lt;)")
		case '\t', '\n', '\r':
			out = append(out, ' ')
		case '&':
			semi := bytes.IndexByte(raw[i:], ';')
			if semi < 0 {
				return nil, s.fail(off+i, "& without ; (write &amp;)")
			}
			ref := raw[i+1 : i+semi]
			switch string(ref) {
			case "lt":
				out = append(out, '<')
			case "gt":
				out = append(out, '>')
			case "amp":
				out = append(out, '&')
			case "quot":
				out = append(out, '"')
			case "apos":
				out = append(out, '\'')
			default:
				var v uint64
				var err error
				switch {
				case bytes.HasPrefix(ref, []byte("#x")):
					v, err = strconv.ParseUint(string(ref[2:]), 16, 32)
				case bytes.HasPrefix(ref, []byte("#")):
					v, err = strconv.ParseUint(string(ref[1:]), 10, 32)
				default:
					return nil, s.fail(off+i, "unknown entity &"+string(ref)+";")
				}
				if err != nil || !xmlChar(rune(v)) {
					return nil, s.fail(off+i, "bad character reference &"+string(ref)+";")
				}
				out = utf8.AppendRune(out, rune(v))
			}
			i += semi
		default:
			out = append(out, c)
		}
	}
	return out, nil
}
