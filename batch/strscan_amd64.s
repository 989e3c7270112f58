#include "textflag.h"

// STOPMASK sets DX to the mask of the bytes in Y0 that are '"' (Y1), '\\' (Y2) or at most
// 0x1f (Y3; unsigned: min(x, 0x1f) == x).
#define STOPMASK \
	VPCMPEQB Y0, Y1, Y4 \
	VPCMPEQB Y0, Y2, Y5 \
	VPMINUB Y0, Y3, Y6 \
	VPCMPEQB Y0, Y6, Y6 \
	VPOR Y4, Y5, Y4 \
	VPOR Y4, Y6, Y4 \
	VPMOVMSKB Y4, DX

// func stopIndexAVX2(p *byte, n int) int
// One pass over 32 bytes at a time; the last n%32 bytes are checked by loading the last 32
// bytes of p[:n] again and dropping the mask bits of those already checked.
TEXT ·stopIndexAVX2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), BX
	MOVQ BX, CX
	ANDQ $~31, CX
	XORQ AX, AX
	CMPQ BX, $32
	JLT done
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
	JGE tail
	VMOVDQU (SI)(AX*1), Y0
	STOPMASK
	TESTL DX, DX
	JNZ found
	ADDQ $32, AX
	JMP loop
tail:
	CMPQ AX, BX
	JGE vdone
	LEAQ -32(BX), R8
	VMOVDQU (SI)(R8*1), Y0
	STOPMASK
	MOVQ AX, CX
	SUBQ R8, CX
	SHRL CX, DX
	TESTL DX, DX
	JNZ found
	MOVQ BX, AX
	JMP vdone
found:
	BSFL DX, DX
	ADDQ DX, AX
vdone:
	VZEROUPPER
done:
	MOVQ AX, ret+16(FP)
	RET
