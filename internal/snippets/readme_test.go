package snippets

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const root = "../.."

// regions collects every `// snippet:NAME` region of the repository's Go
// files, with its indentation removed.
func regions(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		lines := strings.Split(string(data), "\n")
		for i := 0; i < len(lines); i++ {
			name, ok := strings.CutPrefix(strings.TrimSpace(lines[i]), "// snippet:")
			if !ok {
				continue
			}
			var body []string
			for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "// end snippet"; i++ {
				body = append(body, lines[i])
			}
			require.NotContains(t, out, name, "region %q defined twice", name)
			out[name] = dedent(body)
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

// dedent removes the indentation common to every non-blank line.
func dedent(lines []string) string {
	common := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, "\t"))
		if common < 0 || n < common {
			common = n
		}
	}
	for i, l := range lines {
		if len(l) >= common && common > 0 {
			lines[i] = l[common:]
		}
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

var fence = regexp.MustCompile("(?s)(<!-- snippet: ([^ ]+) -->\\s*)?```go\\n(.*?)```")

// TestReadmeSnippets: every Go snippet of the README is a region of a Go
// file that compiles (and, for the ones here, runs).
func TestReadmeSnippets(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	have := regions(t)
	matches := fence.FindAllStringSubmatch(string(readme), -1)
	require.NotEmpty(t, matches, "the README has Go snippets")
	for _, m := range matches {
		name, body := m[2], strings.TrimRight(m[3], "\n")
		if !assert.NotEmpty(t, name, "a ```go fence without a <!-- snippet: NAME --> comment:\n%s", body) {
			continue
		}
		want, ok := have[name]
		if assert.True(t, ok, "the README quotes unknown region %q", name) {
			assert.Equal(t, want, body, "README snippet %q differs from its region", name)
		}
	}
}

// TestGameLoopSetsUp runs the game loop's set-up (engine, versions,
// entities, canary) to its loop, with a context that is already done.
func TestGameLoopSetsUp(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, GameLoop(ctx))
}

// TestSaveAndLoad runs the persistence example: the state it loads at frame
// 450 is the one the run held then.
func TestSaveAndLoad(t *testing.T) {
	e, err := SaveAndLoad(t.TempDir())
	require.NoError(t, err)
	assert.Equal(t, uint64(450), e.Frame())
	m, err := e.Metrics("game")
	require.NoError(t, err)
	assert.Equal(t, 1000, m.Entities)
}
