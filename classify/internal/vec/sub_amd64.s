#include "textflag.h"

// func SubAVX2(dst *float32, a *float32, b *float32, n int)
// dst[j] = a[j] - b[j] for j < n&^7, eight lanes at a time: each lane's subtraction is the
// scalar one, rounded to float32 alike.
TEXT ·SubAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ subdone
subloop:
	VMOVUPS (SI), Y0
	VSUBPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNZ subloop
subdone:
	VZEROUPPER
	RET
