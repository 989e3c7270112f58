//go:build !amd64

package wordvec

var useBlockTokens, hasClassesAVX2 = false, false

func classes32(p []byte, out []chunkClasses) { classes32Go(p, out) }
