#include "textflag.h"

// func AxpyInt8AVX2(v *float32, q *int8, f float32, n int)
// v[j] += f * float32(q[j]) for j < n&^7, eight lanes at a time: each lane does the same
// multiply and add, rounded to float32, as the scalar loop (no FMA), so the result is identical.
TEXT ·AxpyInt8AVX2(SB), NOSPLIT, $0-32
	MOVQ v+0(FP), DI
	MOVQ q+8(FP), SI
	VBROADCASTSS f+16(FP), Y0
	MOVQ n+24(FP), CX
loop:
	CMPQ CX, $8
	JL done
	VPMOVSXBD (SI), Y1
	VCVTDQ2PS Y1, Y1
	VMULPS Y0, Y1, Y1
	VADDPS (DI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $8, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP loop
done:
	VZEROUPPER
	RET

// func DotColsAVX2(v *float32, pt *float32, d int, stride int, out *float32)
// out[l] = sum over j < d, in order, of v[j]*pt[j*stride+l], for l < stride (a multiple of 8).
// Lanes are labels: every label's sum adds the same float32 products in the same order as
// a scalar dot product (no FMA), so the sums are identical. Four groups of 8 labels share
// each pass over v while at least four remain.
TEXT ·DotColsAVX2(SB), NOSPLIT, $0-40
	MOVQ v+0(FP), SI
	MOVQ pt+8(FP), DI
	MOVQ d+16(FP), CX
	MOVQ stride+24(FP), DX
	MOVQ out+32(FP), R8
	SHLQ $2, DX          // row stride in bytes
	XORQ R10, R10        // byte offset of the current group
quad:
	MOVQ DX, R9
	SUBQ R10, R9
	CMPQ R9, $128
	JL single
	VXORPS Y0, Y0, Y0
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	MOVQ SI, R11
	LEAQ (DI)(R10*1), R12
	MOVQ CX, R13
quadloop:
	TESTQ R13, R13
	JZ quadstore
	VBROADCASTSS (R11), Y1
	VMULPS (R12), Y1, Y5
	VADDPS Y5, Y0, Y0
	VMULPS 32(R12), Y1, Y6
	VADDPS Y6, Y2, Y2
	VMULPS 64(R12), Y1, Y7
	VADDPS Y7, Y3, Y3
	VMULPS 96(R12), Y1, Y8
	VADDPS Y8, Y4, Y4
	ADDQ $4, R11
	ADDQ DX, R12
	DECQ R13
	JMP quadloop
quadstore:
	VMOVUPS Y0, (R8)(R10*1)
	VMOVUPS Y2, 32(R8)(R10*1)
	VMOVUPS Y3, 64(R8)(R10*1)
	VMOVUPS Y4, 96(R8)(R10*1)
	ADDQ $128, R10
	JMP quad
single:
	CMPQ R10, DX
	JGE end
	VXORPS Y0, Y0, Y0
	MOVQ SI, R11
	LEAQ (DI)(R10*1), R12
	MOVQ CX, R13
singleloop:
	TESTQ R13, R13
	JZ singlestore
	VBROADCASTSS (R11), Y1
	VMULPS (R12), Y1, Y5
	VADDPS Y5, Y0, Y0
	ADDQ $4, R11
	ADDQ DX, R12
	DECQ R13
	JMP singleloop
singlestore:
	VMOVUPS Y0, (R8)(R10*1)
	ADDQ $32, R10
	JMP single
end:
	VZEROUPPER
	RET
