package htmlreport

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var writeSample = flag.Bool("sample", false, "write testdata/sample.png, the README screenshot, from the sample report (needs chromium)")

// chromium is where scripts/check-report.sh looks for the browser.
const chromium = "/usr/bin/chromium"

// sampleMaxBytes bounds testdata/sample.png.
const sampleMaxBytes = 150 << 10

// needChromium skips the test when the browser is missing (CI installs it).
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("%s not installed: the browser check runs where it is", chromium)
	}
	if testing.Short() {
		t.Skip("starts a browser")
	}
}

// checkReport writes page to a file and runs scripts/check-report.sh on it
// with the given extra environment, returning the decoded screenshot.
func checkReport(t *testing.T, page []byte, env ...string) (image.Image, string) {
	t.Helper()
	dir := t.TempDir()
	html := filepath.Join(dir, "report.html")
	shot := filepath.Join(dir, "report.png")
	require.NoError(t, os.WriteFile(html, page, 0o644))
	cmd := exec.Command("bash", filepath.Join("..", "..", "scripts", "check-report.sh"), html, shot)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "check-report.sh:\n%s", out)
	f, err := os.Open(shot)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	return img, string(out)
}

// parseHex parses "#rrggbb".
func parseHex(t *testing.T, s string) color.RGBA {
	t.Helper()
	v, err := strconv.ParseUint(s[1:], 16, 32)
	require.NoError(t, err)
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
}

// overWhite is c drawn with the given opacity over white.
func overWhite(c color.RGBA, alpha float64) color.RGBA {
	mix := func(v uint8) uint8 { return uint8(float64(v)*alpha + 255*(1-alpha) + 0.5) }
	return color.RGBA{mix(c.R), mix(c.G), mix(c.B), 255}
}

// near reports whether two colours differ by at most tol in every channel.
func near(a color.Color, b color.RGBA, tol int) bool {
	r, g, bl, _ := a.RGBA()
	d := func(x uint32, y uint8) bool {
		diff := int(x>>8) - int(y)
		return diff <= tol && diff >= -tol
	}
	return d(r, b.R) && d(g, b.G) && d(bl, b.B)
}

func TestChromiumScreenshot(t *testing.T) {
	needChromium(t)
	img, out := checkReport(t, render(t, sampleReport(60)), "EXPECT_CHARTS=3", "WINDOW=1280,2400")
	t.Log(out)
	b := img.Bounds()
	require.Equal(t, 1280, b.Dx())
	require.Equal(t, 2400, b.Dy())

	// The first chart is the stacked area chart; its v1 layer is filled
	// with v1's colour at half opacity, a colour no other chart uses. The
	// layer spans the whole time axis and the whole value axis (v1 holds
	// every entity at 0 s and again at 100 s), so its bounding box is the
	// plot area.
	fills := make([]color.RGBA, 3)
	for v := range fills {
		fills[v] = overWhite(parseHex(t, palette[v]), 0.5)
	}
	// Rows where that colour is dense (anti-aliased edges elsewhere give
	// a few stray pixels): the first run of them is the plot, give or take
	// a grid line.
	box := image.Rectangle{}
	inRun, sparse := false, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := image.Rectangle{}
		n := 0
		for x := b.Min.X; x < b.Max.X; x++ {
			if near(img.At(x, y), fills[0], 6) {
				row = row.Union(image.Rect(x, y, x+1, y+1))
				n++
			}
		}
		if n >= 100 {
			box = box.Union(row)
			inRun, sparse = true, 0
		} else if inRun {
			sparse++
		}
		if sparse > 4 {
			break
		}
	}
	t.Logf("first chart's plot area: %v", box)
	require.Greater(t, box.Dx(), 800, "the plot spans most of a 1280 px page")
	require.Greater(t, box.Dy(), 200)
	require.Less(t, box.Max.Y, 800, "the first chart is near the top of the page")

	var nonWhite int
	counts := make([]int, 3)
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			c := img.At(x, y)
			if !near(c, color.RGBA{255, 255, 255, 255}, 8) {
				nonWhite++
			}
			for v, f := range fills {
				if near(c, f, 10) {
					counts[v]++
				}
			}
		}
	}
	area := box.Dx() * box.Dy()
	t.Logf("non-white %.1f%%, v1/v2/v3 fill pixels %v of %d", 100*float64(nonWhite)/float64(area), counts, area)
	assert.Greater(t, float64(nonWhite)/float64(area), 0.9, "the stack fills its plot")
	for v, n := range counts {
		assert.Greater(t, float64(n)/float64(area), 0.05, "v%d's colour shows in the first chart", v+1)
	}

	// the line chart's strokes: each version's full colour shows up
	for v := range 3 {
		full := parseHex(t, palette[v])
		n := 0
		for y := box.Max.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if near(img.At(x, y), full, 12) {
					n++
				}
			}
		}
		assert.Greater(t, n, 500, "v%d's line shows below the first chart", v+1)
	}
}

func TestChromiumRejectsConsoleErrors(t *testing.T) {
	needChromium(t)
	// a path the browser cannot parse: no script, but a console error
	page := []byte(`<!DOCTYPE html><html><head><title>bad</title></head><body>` +
		`<svg class="chart" xmlns="http://www.w3.org/2000/svg"><path class="series" d="M0,0 L x" /></svg></body></html>`)
	dir := t.TempDir()
	html := filepath.Join(dir, "bad.html")
	require.NoError(t, os.WriteFile(html, page, 0o644))
	out, err := exec.Command("bash", filepath.Join("..", "..", "scripts", "check-report.sh"), html, filepath.Join(dir, "bad.png")).CombinedOutput()
	require.Error(t, err, "%s", out)
	assert.Contains(t, string(out), "console")
}

// TestWriteSamplePNG writes testdata/sample.png, a screenshot of the top of
// the sample report for the README. It runs only with -sample:
//
//	go test ./internal/htmlreport -run TestWriteSamplePNG -sample
func TestWriteSamplePNG(t *testing.T) {
	if !*writeSample {
		t.Skip("run with -sample to write testdata/sample.png")
	}
	needChromium(t)
	img, _ := checkReport(t, render(t, sampleReport(60)), "WINDOW=1280,1480")
	data := shrinkPNG(t, img, sampleMaxBytes)
	require.NoError(t, os.MkdirAll("testdata", 0o755))
	require.NoError(t, os.WriteFile(filepath.Join("testdata", "sample.png"), data, 0o644))
	t.Logf("testdata/sample.png: %d bytes", len(data))
}

// shrinkPNG encodes img with the best compression and, if that is larger
// than limit, as a paletted image of its 256 most frequent colours (each
// pixel mapped to the nearest of them), which suits a flat page with a few
// anti-aliased edges.
func shrinkPNG(t *testing.T, img image.Image, limit int) []byte {
	t.Helper()
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	var buf bytes.Buffer
	require.NoError(t, enc.Encode(&buf, img))
	if buf.Len() <= limit {
		return buf.Bytes()
	}
	b := img.Bounds()
	freq := map[color.RGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			freq[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)]++
		}
	}
	cols := make([]color.RGBA, 0, len(freq))
	for c := range freq {
		cols = append(cols, c)
	}
	key := func(c color.RGBA) uint32 { return uint32(c.R)<<16 | uint32(c.G)<<8 | uint32(c.B) }
	sort.Slice(cols, func(i, j int) bool {
		if freq[cols[i]] != freq[cols[j]] {
			return freq[cols[i]] > freq[cols[j]]
		}
		return key(cols[i]) < key(cols[j])
	})
	pal := make(color.Palette, 0, 256)
	for _, c := range cols[:min(256, len(cols))] {
		pal = append(pal, c)
	}
	out := image.NewPaletted(b, pal)
	index := map[color.RGBA]uint8{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			i, ok := index[c]
			if !ok {
				i = uint8(pal.Index(c))
				index[c] = i
			}
			out.SetColorIndex(x, y, i)
		}
	}
	buf.Reset()
	require.NoError(t, enc.Encode(&buf, out))
	require.LessOrEqual(t, buf.Len(), limit, "sample.png must stay small")
	return buf.Bytes()
}
