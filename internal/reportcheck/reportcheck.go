package reportcheck

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// Chromium is where scripts/check-report.sh looks for the browser.
const Chromium = "/usr/bin/chromium"

// script is the checker, relative to the repository's root.
var script = filepath.Join("scripts", "check-report.sh")

// NeedChromium skips the test when [Chromium] is missing (CI installs it)
// or under -short, since it starts a browser.
func NeedChromium(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(Chromium); err != nil {
		t.Skipf("%s not installed: the browser check runs where it is", Chromium)
	}
	if testing.Short() {
		t.Skip("starts a browser")
	}
}

// Command returns the command that runs scripts/check-report.sh on the page
// html, saving the screenshot to shot, with env added to the test's
// environment (WINDOW, EXPECT_CHARTS: see the script). The script is found
// in the working directory or the nearest of its parents that has it; the
// test fails if none has.
func Command(t testing.TB, html, shot string, env ...string) *exec.Cmd {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, script)); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no %s in the working directory or above", script)
		dir = parent
	}
	cmd := exec.Command("bash", filepath.Join(dir, script), html, shot)
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// Screenshot runs scripts/check-report.sh on the page html with env added
// to the environment, fails the test if a check fails, and returns the
// decoded screenshot and the script's output.
func Screenshot(t testing.TB, html string, env ...string) (image.Image, string) {
	t.Helper()
	shot := filepath.Join(t.TempDir(), "shot.png")
	out, err := Command(t, html, shot, env...).CombinedOutput()
	require.NoError(t, err, "check-report.sh:\n%s", out)
	f, err := os.Open(shot)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	return img, string(out)
}

// Hex parses a colour written "#rrggbb", failing the test on any other
// form.
func Hex(t testing.TB, s string) color.RGBA {
	t.Helper()
	require.Len(t, s, 7)
	require.Equal(t, byte('#'), s[0], s)
	v, err := strconv.ParseUint(s[1:], 16, 32)
	require.NoError(t, err)
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
}

// OverWhite is c drawn with opacity alpha over white.
func OverWhite(c color.RGBA, alpha float64) color.RGBA {
	mix := func(v uint8) uint8 { return uint8(float64(v)*alpha + 255*(1-alpha) + 0.5) }
	return color.RGBA{mix(c.R), mix(c.G), mix(c.B), 255}
}

// Near reports whether c differs from want by at most tol in each of red,
// green and blue (8 bits each; alpha is ignored).
func Near(c color.Color, want color.RGBA, tol int) bool {
	r, g, b, _ := c.RGBA()
	d := func(x uint32, y uint8) bool {
		diff := int(x>>8) - int(y)
		return diff <= tol && diff >= -tol
	}
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

// ShrinkPNG encodes img with the best compression and, if that is larger
// than limit bytes, as a paletted image of its 256 most frequent colours
// (ties broken by colour value, so the result is deterministic; each pixel
// mapped to the nearest of them), which suits a flat page with a few
// anti-aliased edges. It fails the test if the result is still larger
// than limit.
func ShrinkPNG(t testing.TB, img image.Image, limit int) []byte {
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
	key := func(c color.RGBA) uint32 { return uint32(c.R)<<24 | uint32(c.G)<<16 | uint32(c.B)<<8 | uint32(c.A) }
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
	require.LessOrEqual(t, buf.Len(), limit, "the PNG must stay within %d bytes", limit)
	return buf.Bytes()
}
