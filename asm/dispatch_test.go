package asm

import (
	"os"
	"os/exec"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSelectLevel(t *testing.T) {
	cases := []struct {
		env          string
		avx2, avx512 bool
		want         string
	}{
		// Defaults: avx2 where present, never avx512.
		{"", false, false, "generic"},
		{"", true, false, "avx2"},
		{"", true, true, "avx2"},
		// Forcing a lower or equal level.
		{"generic", true, true, "generic"},
		{"generic", false, false, "generic"},
		{"avx2", true, true, "avx2"},
		{"avx2", true, false, "avx2"},
		{"avx512", true, true, "avx512"},
		{" AVX512\n", true, true, "avx512"},
		{"Generic", true, false, "generic"},
		// Above the CPU: ignored.
		{"avx512", true, false, "avx2"},
		{"avx512", false, false, "generic"},
		{"avx2", false, false, "generic"},
		// Unknown: ignored.
		{"sse", true, true, "avx2"},
		{"avx", true, true, "avx2"},
		{"avx-512", true, true, "avx2"},
		{"purego", false, false, "generic"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, selectLevel(c.env, c.avx2, c.avx512), "env=%q avx2=%v avx512=%v", c.env, c.avx2, c.avx512)
	}
}

func TestImpls(t *testing.T) {
	impls := Impls()
	require.NotEmpty(t, impls)
	assert.Equal(t, "generic", impls[0].Name)
	names := map[string]bool{}
	for _, im := range impls {
		assert.False(t, names[im.Name], "duplicate %s", im.Name)
		names[im.Name] = true
		assert.Contains(t, []string{"generic", "avx2", "avx512"}, im.Name)
		assert.NotNil(t, im.Integrate)
		assert.NotNil(t, im.Gravity)
		assert.NotNil(t, im.Bounds)
		assert.NotNil(t, im.FirstNonFinite)
	}
	assert.True(t, names[Active()], "Active() = %q is not in Impls()", Active())
	assert.Equal(t, hasAVX2, names["avx2"])
	assert.Equal(t, hasAVX512, names["avx512"])
	if runtime.GOARCH != "amd64" {
		assert.Len(t, impls, 1)
	}

	// Impls returns a copy.
	impls[0].Name = "changed"
	assert.Equal(t, "generic", Impls()[0].Name)
}

func TestActiveDefault(t *testing.T) {
	if _, set := os.LookupEnv("GROVE_SIMD"); set {
		t.Skip("GROVE_SIMD is set")
	}
	assert.Equal(t, selectLevel("", hasAVX2, hasAVX512), Active())
}

// TestGroveSIMDEnv runs this test binary again with GROVE_SIMD set in the
// child's environment only, and checks the level the child chose.
func TestGroveSIMDEnv(t *testing.T) {
	if testing.Short() {
		t.Skip("runs subprocesses")
	}
	if os.Getenv("GROVE_SIMD_CHILD") == "1" {
		return
	}
	for _, env := range []string{"generic", "avx2", "avx512", "bogus"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestPrintActive$", "-test.v")
		cmd.Env = append(os.Environ(), "GROVE_SIMD="+env, "GROVE_SIMD_CHILD=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		want := selectLevel(env, hasAVX2, hasAVX512)
		assert.Contains(t, string(out), "active="+want+"\n", "GROVE_SIMD=%s", env)
	}
}

// TestPrintActive is the child side of TestGroveSIMDEnv.
func TestPrintActive(t *testing.T) {
	if os.Getenv("GROVE_SIMD_CHILD") != "1" {
		t.Skip("only run by TestGroveSIMDEnv")
	}
	t.Logf("\nactive=%s\n", Active())
}
