package reportcheck

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCommandFindsScript(t *testing.T) {
	cmd := Command(t, "page.html", "shot.png", "WINDOW=10,10")
	require.Len(t, cmd.Args, 4)
	_, err := os.Stat(cmd.Args[1])
	assert.NoError(t, err, "the script %s", cmd.Args[1])
	assert.Equal(t, []string{"page.html", "shot.png"}, cmd.Args[2:])
	assert.Equal(t, "WINDOW=10,10", cmd.Env[len(cmd.Env)-1])
}

func TestColours(t *testing.T) {
	blue := Hex(t, "#0072b2")
	assert.Equal(t, color.RGBA{0x00, 0x72, 0xb2, 255}, blue)
	assert.Equal(t, color.RGBA{128, 185, 217, 255}, OverWhite(blue, 0.5))
	assert.Equal(t, blue, OverWhite(blue, 1))
	assert.True(t, Near(color.RGBA{10, 20, 30, 255}, color.RGBA{13, 17, 30, 255}, 3))
	assert.False(t, Near(color.RGBA{10, 20, 30, 255}, color.RGBA{14, 20, 30, 255}, 3))
	assert.False(t, Near(color.RGBA{10, 20, 30, 255}, color.RGBA{10, 20, 26, 255}, 3))
}

// TestShrinkPNG: an image of 200 colours in noise is too big as RGBA, so it
// comes back paletted, within the limit, deterministic and with every pixel
// unchanged.
func TestShrinkPNG(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cols := make([]color.RGBA, 200)
	for i := range cols {
		cols[i] = color.RGBA{uint8(rng.Uint32()), uint8(rng.Uint32()), uint8(rng.Uint32()), 255}
	}
	img := image.NewRGBA(image.Rect(0, 0, 300, 200))
	for y := range 200 {
		for x := range 300 {
			img.SetRGBA(x, y, cols[rng.IntN(len(cols))])
		}
	}
	var full bytes.Buffer
	require.NoError(t, (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&full, img))
	limit := full.Len() - 1
	data := ShrinkPNG(t, img, limit)
	assert.LessOrEqual(t, len(data), limit)
	assert.Equal(t, data, ShrinkPNG(t, img, limit), "deterministic")
	got, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	require.IsType(t, &image.Paletted{}, got)
	for y := range 200 {
		for x := range 300 {
			require.Equal(t, img.RGBAAt(x, y), color.RGBAModel.Convert(got.At(x, y)), "(%d, %d)", x, y)
		}
	}
	small := image.NewRGBA(image.Rect(0, 0, 4, 4))
	assert.Equal(t, small.Bounds(), decode(t, ShrinkPNG(t, small, 1<<20)).Bounds(), "small enough as it is")
}

func decode(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	return img
}
