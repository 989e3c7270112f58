package classify

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrFitState wraps the error of a fit state that cannot be read: corrupt, or written by
// another version of the classifier (the batch runner then fits the job again).
var ErrFitState = errors.New("fit state")

// State format (little-endian): "CBF3" | uint32 nl | uint32 d | uint32 flags (1 multi, 2 alt,
// 4 bias, 8 calibration, 16 pairs, 32 exhaustive, 128 line-centred calibration) | uint32 words |
// d float32 centre | nl*d float32 protos | [nl*d float32 alt, with flag 2] | nl uint8 catch-all | nl float32 wscale | float32 temp | [nl
// float32 bias, with flag 4] | [nl × 5 float32 mixture (pi, mu0, sd0, mu1, sd1), with flag 8] |
// [nl int32 negates, with flag 16] | words × (uvarint len, bytes) | words*nl int8. (A state
// without flags 4, 8 or 16, written before absent labels, calibration or pairs existed, still
// reads.)
func encodeFit(f *fitted) []byte {
	out := []byte(fitMagic)
	u32 := func(x uint32) { out = binary.LittleEndian.AppendUint32(out, x) }
	f32 := func(xs []float32) {
		for _, x := range xs {
			u32(math.Float32bits(x))
		}
	}
	flags := uint32(0)
	if f.multi {
		flags |= 1
	}
	if f.alt != nil {
		flags |= 2
	}
	if f.bias != nil {
		flags |= 4
	}
	if f.calib != nil {
		flags |= 8
	}
	if f.negates != nil {
		flags |= 16
	}
	if f.exhaustive {
		flags |= 32
	}
	if f.lineCentred {
		flags |= 128
	}
	u32(uint32(f.nl))
	u32(uint32(f.d))
	u32(flags)
	u32(uint32(len(f.words)))
	f32(f.centre)
	f32(f.protos)
	f32(f.alt)
	for _, c := range f.catchAll {
		if c {
			out = append(out, 1)
		} else {
			out = append(out, 0)
		}
	}
	f32(f.wscale)
	f32([]float32{f.temp})
	f32(f.bias)
	for _, m := range f.calib {
		f32([]float32{m.pi, m.mu0, m.sd0, m.mu1, m.sd1})
	}
	for _, x := range f.negates {
		u32(uint32(x))
	}
	for _, w := range f.words {
		out = binary.AppendUvarint(out, uint64(len(w)))
		out = append(out, w...)
	}
	for _, x := range f.w {
		out = append(out, byte(x))
	}
	return out
}

func decodeFit(s []byte) (*fitted, error) {
	bad := fmt.Errorf("%w: corrupt, or written by another version", ErrFitState)
	if len(s) < 4+4*4 || string(s[:4]) != fitMagic {
		return nil, bad
	}
	s = s[4:]
	u32 := func() uint32 { x := binary.LittleEndian.Uint32(s); s = s[4:]; return x }
	f := &fitted{}
	f.nl, f.d = int(u32()), int(u32())
	flags := u32()
	f.multi = flags&1 != 0
	f.exhaustive = flags&32 != 0
	f.lineCentred = flags&128 != 0
	nw := int(u32())
	if f.nl <= 0 || f.nl > MaxLabels || f.d <= 0 || f.d > 4096 || nw < 0 || nw*f.nl > fitMaxWeights {
		return nil, bad
	}
	if len(s) < 4*(f.d+f.nl*f.d+f.nl)+f.nl {
		return nil, bad
	}
	f32s := func(n int) []float32 {
		xs := make([]float32, n)
		for i := range xs {
			xs[i] = math.Float32frombits(u32())
		}
		return xs
	}
	f.centre = f32s(f.d)
	f.protos = f32s(f.nl * f.d)
	if flags&2 != 0 {
		if len(s) < 4*(f.nl*f.d+f.nl)+f.nl {
			return nil, bad
		}
		f.alt = f32s(f.nl * f.d)
	}
	f.catchAll = make([]bool, f.nl)
	for l := range f.nl {
		f.catchAll[l] = s[l] == 1
	}
	s = s[f.nl:]
	f.wscale = f32s(f.nl)
	if len(s) < 4 {
		return nil, bad
	}
	f.temp = f32s(1)[0]
	if flags&4 != 0 {
		if len(s) < 4*f.nl {
			return nil, bad
		}
		f.bias = f32s(f.nl)
	}
	if flags&8 != 0 {
		if len(s) < 4*5*f.nl {
			return nil, bad
		}
		f.calib = make([]mixture, f.nl)
		f.prep = make([]mixPrep, f.nl)
		for l := range f.calib {
			x := f32s(5)
			f.calib[l] = mixture{x[0], x[1], x[2], x[3], x[4]}
			f.prep[l] = f.calib[l].prepare()
		}
	}
	if flags&16 != 0 {
		if len(s) < 4*f.nl {
			return nil, bad
		}
		f.negates = make([]int32, f.nl)
		for l := range f.negates {
			f.negates[l] = int32(u32())
			if x := f.negates[l]; x < -1 || x >= int32(f.nl) || x == int32(l) {
				return nil, bad
			}
		}
	}
	f.words = make([]string, nw)
	for k := range nw {
		n, m := binary.Uvarint(s)
		if m <= 0 || n > uint64(len(s)-m) {
			return nil, bad
		}
		f.words[k] = string(s[m : m+int(n)])
		s = s[m+int(n):]
	}
	if len(s) != nw*f.nl {
		return nil, bad
	}
	f.w = newStudentWeights(nw * f.nl)
	for i := range f.w {
		f.w[i] = int8(s[i])
	}
	return f, nil
}
