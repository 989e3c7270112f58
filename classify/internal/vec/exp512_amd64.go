package vec

// UseExpAVX512 selects ExpShiftedAVX512 over ExpShiftedAVX2 (the same float64s, eight lanes
// instead of four): it needs ExpShiftedAVX2's conditions and AVX-512F.
var UseExpAVX512 = UseExpAVX2 && UseAVX512

//go:noescape
func ExpShiftedAVX512(out *float64, x *float64, m float64, t float64, n int) bool
