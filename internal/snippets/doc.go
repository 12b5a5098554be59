// Package snippets holds the Go code the README shows, so that every
// snippet compiles and runs: each is a region of a .go file of the
// repository between the lines `// snippet:NAME` and `// end snippet`, and
// the README quotes it in a ```go fence preceded by `<!-- snippet: NAME -->`.
// TestReadmeSnippets fails if a fence has no such comment, names an unknown
// region, or differs from it; the example functions here run the regions.
//
// There are no build tags.
package snippets
