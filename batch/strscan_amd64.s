#include "textflag.h"

// func stopIndexAVX2(p *byte, n int) int
// One pass over 32 bytes at a time: a byte stops the scan if it equals '"' or '\\', or
// if it is at most 0x1f (unsigned: min(x, 0x1f) == x).
TEXT ·stopIndexAVX2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	ANDQ $~31, CX
	XORQ AX, AX
	MOVL $0x22222222, DX
	MOVQ DX, X1
	VPBROADCASTD X1, Y1
	MOVL $0x5c5c5c5c, DX
	MOVQ DX, X2
	VPBROADCASTD X2, Y2
	MOVL $0x1f1f1f1f, DX
	MOVQ DX, X3
	VPBROADCASTD X3, Y3
loop:
	CMPQ AX, CX
	JGE done
	VMOVDQU (SI)(AX*1), Y0
	VPCMPEQB Y0, Y1, Y4
	VPCMPEQB Y0, Y2, Y5
	VPMINUB Y0, Y3, Y6
	VPCMPEQB Y0, Y6, Y6
	VPOR Y4, Y5, Y4
	VPOR Y4, Y6, Y4
	VPMOVMSKB Y4, DX
	TESTL DX, DX
	JNZ found
	ADDQ $32, AX
	JMP loop
found:
	BSFL DX, DX
	ADDQ DX, AX
done:
	VZEROUPPER
	MOVQ AX, ret+16(FP)
	RET
