package htmlreport

import (
	"bytes"
	"testing"
)

// BenchmarkRender renders the sample report: 150 s of samples for three
// versions at 60 frames per second (9,000 frames) and at 10.
func BenchmarkRender(b *testing.B) {
	for _, fps := range []int{10, 60} {
		r := sampleReport(fps)
		b.Run("frames="+itoa(150*fps), func(b *testing.B) {
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if err := Render(&buf, r); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(buf.Len()))
			b.ReportMetric(float64(buf.Len()), "page-bytes")
		})
	}
}

// BenchmarkDownsample reduces 9,000 samples to 600.
func BenchmarkDownsample(b *testing.B) {
	pts := randomWalk(9000, 1)
	b.ReportAllocs()
	for b.Loop() {
		Downsample(pts, DefaultMaxPoints)
	}
}
