package stats

import "testing"

// BenchmarkSeqBinomial measures one Observe of a small batch, the per-frame
// cost of the test, in each direction. Early on every mixture term counts;
// after many events most are negligible and skipped, so both phases are
// measured.
func BenchmarkSeqBinomial(b *testing.B) {
	for _, alt := range []Alternative{Greater, TwoSided} {
		for _, phase := range []struct {
			name   string
			warmup int
		}{{"fresh", 0}, {"warm", 100000}} {
			b.Run("alt="+alt.String()+"/phase="+phase.name, func(b *testing.B) {
				s, err := NewSeqBinomial(SeqSettings{Share: 0.1, Alternative: alt})
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Observe(phase.warmup/10, phase.warmup); err != nil {
					b.Fatal(err)
				}
				fresh := s
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					if i%1024 == 0 {
						s = fresh // keep the phase fixed
					}
					if err := s.Observe(i&1, 3); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
