package htmlreport

import (
	"flag"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/internal/reportcheck"
)

var writeSample = flag.Bool("sample", false, "write testdata/sample.png, the README screenshot, from the sample report (needs chromium)")

// sampleMaxBytes bounds testdata/sample.png.
const sampleMaxBytes = 150 << 10

// checkReport writes page to a file and runs scripts/check-report.sh on it
// with the given extra environment, returning the decoded screenshot and
// the script's output.
func checkReport(t *testing.T, page []byte, env ...string) (image.Image, string) {
	t.Helper()
	html := filepath.Join(t.TempDir(), "report.html")
	require.NoError(t, os.WriteFile(html, page, 0o644))
	return reportcheck.Screenshot(t, html, env...)
}

func TestChromiumScreenshot(t *testing.T) {
	reportcheck.NeedChromium(t)
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
		fills[v] = reportcheck.OverWhite(reportcheck.Hex(t, palette[v]), 0.5)
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
			if reportcheck.Near(img.At(x, y), fills[0], 6) {
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
			if !reportcheck.Near(c, color.RGBA{255, 255, 255, 255}, 8) {
				nonWhite++
			}
			for v, f := range fills {
				if reportcheck.Near(c, f, 10) {
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
		full := reportcheck.Hex(t, palette[v])
		n := 0
		for y := box.Max.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if reportcheck.Near(img.At(x, y), full, 12) {
					n++
				}
			}
		}
		assert.Greater(t, n, 500, "v%d's line shows below the first chart", v+1)
	}
}

func TestChromiumRejectsConsoleErrors(t *testing.T) {
	reportcheck.NeedChromium(t)
	// a path the browser cannot parse: no script, but a console error
	page := []byte(`<!DOCTYPE html><html><head><title>bad</title></head><body>` +
		`<svg class="chart" xmlns="http://www.w3.org/2000/svg"><path class="series" d="M0,0 L x" /></svg></body></html>`)
	dir := t.TempDir()
	html := filepath.Join(dir, "bad.html")
	require.NoError(t, os.WriteFile(html, page, 0o644))
	out, err := reportcheck.Command(t, html, filepath.Join(dir, "bad.png")).CombinedOutput()
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
	reportcheck.NeedChromium(t)
	img, _ := checkReport(t, render(t, sampleReport(60)), "WINDOW=1280,1480")
	data := reportcheck.ShrinkPNG(t, img, sampleMaxBytes)
	require.NoError(t, os.MkdirAll("testdata", 0o755))
	require.NoError(t, os.WriteFile(filepath.Join("testdata", "sample.png"), data, 0o644))
	t.Logf("testdata/sample.png: %d bytes", len(data))
}
