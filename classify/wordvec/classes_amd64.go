package wordvec

import "golang.org/x/sys/cpu"

// useBlockTokens selects blockKeys over keys' token-by-token scan; hasClassesAVX2 its byte
// classes from classes32AVX2 (without it classes32Go, slower than the scan it replaces).
var useBlockTokens, hasClassesAVX2 = cpu.X86.HasAVX2, cpu.X86.HasAVX2

//go:noescape
func classes32AVX2(p *byte, n int, k *[12][32]byte, out *chunkClasses)

func classes32(p []byte, out []chunkClasses) {
	if !hasClassesAVX2 {
		classes32Go(p, out)
		return
	}
	classes32AVX2(&p[0], len(out), &classConsts, &out[0])
}
