package htmlreport

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// node is an element of a parsed page, for tests.
type node struct {
	name     string
	attrs    map[string]string
	children []*node
	text     strings.Builder
}

// parsePage parses a rendered page with encoding/xml in strict mode and
// returns its root element, failing the test if the page is not
// well-formed.
func parsePage(t testing.TB, page []byte) *node {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = true
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	root := &node{name: "#document"}
	stack := []*node{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "the page must parse as XML")
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			top := stack[len(stack)-1]
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			for _, n := range stack[1:] {
				n.text.Write(tok)
			}
		}
	}
	require.Len(t, stack, 1, "every element must be closed")
	return root
}

// hasClass reports whether n's class attribute holds class.
func (n *node) hasClass(class string) bool {
	for _, c := range strings.Fields(n.attrs["class"]) {
		if c == class {
			return true
		}
	}
	return false
}

// find returns the elements under n (n included) with the given name (any
// name when empty) and class (any when empty), in document order.
func (n *node) find(name, class string) []*node {
	var out []*node
	var walk func(*node)
	walk = func(m *node) {
		if (name == "" || m.name == name) && (class == "" || m.hasClass(class)) {
			out = append(out, m)
		}
		for _, c := range m.children {
			walk(c)
		}
	}
	walk(n)
	return out
}

// byID returns the element with the given id, or nil.
func (n *node) byID(id string) *node {
	for _, m := range n.find("", "") {
		if m.attrs["id"] == id {
			return m
		}
	}
	return nil
}

// render renders r with opts and fails the test on error.
func render(t testing.TB, r *Report, opts ...Option) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Render(&buf, r, opts...))
	return buf.Bytes()
}
