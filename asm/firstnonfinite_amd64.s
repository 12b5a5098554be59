//go:build !purego

#include "textflag.h"

// FirstNonFinite: the index of the first float whose exponent bits are all
// set (NaN or ±Inf), or -1.
//
// Registers: SI = x, CX = len(x), AX = index, DX = end of the current loop,
// BX = bit mask of hits in the current block.

// func firstNonFiniteAVX2(x []float32) int
TEXT ·firstNonFiniteAVX2(SB), NOSPLIT, $0-32
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	MOVL         $0x7f800000, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15
	XORQ         AX, AX

	// 32 floats (4 YMM) per iteration: (x & exp) == exp marks a hit.
	MOVQ CX, DX
	ANDQ $-32, DX
	JZ   loop8

loop32:
	VPAND    (SI)(AX*4), Y15, Y0
	VPAND    32(SI)(AX*4), Y15, Y1
	VPAND    64(SI)(AX*4), Y15, Y2
	VPAND    96(SI)(AX*4), Y15, Y3
	VPCMPEQD Y15, Y0, Y0
	VPCMPEQD Y15, Y1, Y1
	VPCMPEQD Y15, Y2, Y2
	VPCMPEQD Y15, Y3, Y3
	VPOR     Y1, Y0, Y4
	VPOR     Y3, Y2, Y5
	VPOR     Y5, Y4, Y4
	VPTEST   Y4, Y4
	JNZ      hit32
	ADDQ     $32, AX
	CMPQ     AX, DX
	JB       loop32

	// 8 floats (1 YMM) per iteration.
loop8:
	MOVQ CX, DX
	ANDQ $-8, DX

loop8body:
	CMPQ      AX, DX
	JAE       tail
	VPAND     (SI)(AX*4), Y15, Y0
	VPCMPEQD  Y15, Y0, Y0
	VMOVMSKPS Y0, BX
	TESTL     BX, BX
	JNZ       hit
	ADDQ      $8, AX
	JMP       loop8body

	// The last 0..7 floats one by one.
tail:
	CMPQ AX, CX
	JAE  none
	MOVL (SI)(AX*4), BX
	ANDL $0x7f800000, BX
	CMPL BX, $0x7f800000
	JEQ  found
	INCQ AX
	JMP  tail

	// A hit among the 32 floats at AX: find its YMM, then its lane.
hit32:
	VMOVMSKPS Y0, BX
	TESTL     BX, BX
	JNZ       hit
	ADDQ      $8, AX
	VMOVMSKPS Y1, BX
	TESTL     BX, BX
	JNZ       hit
	ADDQ      $8, AX
	VMOVMSKPS Y2, BX
	TESTL     BX, BX
	JNZ       hit
	ADDQ      $8, AX
	VMOVMSKPS Y3, BX

hit:
	BSFL BX, BX
	ADDQ BX, AX

found:
	VZEROUPPER
	MOVQ AX, ret+24(FP)
	RET

none:
	VZEROUPPER
	MOVQ $-1, ret+24(FP)
	RET

// FPCLASS_NONFINITE is the VFPCLASSPS category set QNaN (0x01) | +Inf (0x08)
// | -Inf (0x10) | SNaN (0x80).
#define FPCLASS_NONFINITE $0x99

// func firstNonFiniteAVX512(x []float32) int
TEXT ·firstNonFiniteAVX512(SB), NOSPLIT, $0-32
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	XORQ AX, AX

	// 64 floats (4 ZMM) per iteration.
	MOVQ CX, DX
	ANDQ $-64, DX
	JZ   loop16

loop64:
	VFPCLASSPSZ FPCLASS_NONFINITE, (SI)(AX*4), K1
	VFPCLASSPSZ FPCLASS_NONFINITE, 64(SI)(AX*4), K2
	VFPCLASSPSZ FPCLASS_NONFINITE, 128(SI)(AX*4), K3
	VFPCLASSPSZ FPCLASS_NONFINITE, 192(SI)(AX*4), K4
	KORW        K1, K2, K5
	KORW        K3, K4, K6
	KORTESTW    K5, K6
	JNZ         hit64
	ADDQ        $64, AX
	CMPQ        AX, DX
	JB          loop64

	// 16 floats (1 ZMM) per iteration.
loop16:
	MOVQ CX, DX
	ANDQ $-16, DX

loop16body:
	CMPQ        AX, DX
	JAE         tail
	VFPCLASSPSZ FPCLASS_NONFINITE, (SI)(AX*4), K1
	KMOVW       K1, BX
	TESTL       BX, BX
	JNZ         hit
	ADDQ        $16, AX
	JMP         loop16body

	// The last 0..15 floats under the mask K2 = (1<<rest)-1; masked-off
	// lanes load as +0, which is finite.
tail:
	SUBQ        AX, CX
	JZ          none
	MOVL        $1, BX
	SHLL        CX, BX
	DECL        BX
	KMOVW       BX, K2
	VMOVUPS.Z   (SI)(AX*4), K2, Z0
	VFPCLASSPSZ FPCLASS_NONFINITE, Z0, K1
	KMOVW       K1, BX
	TESTL       BX, BX
	JNZ         hit

none:
	VZEROUPPER
	MOVQ $-1, ret+24(FP)
	RET

	// A hit among the 64 floats at AX: find its ZMM, then its lane.
hit64:
	KMOVW K1, BX
	TESTL BX, BX
	JNZ   hit
	ADDQ  $16, AX
	KMOVW K2, BX
	TESTL BX, BX
	JNZ   hit
	ADDQ  $16, AX
	KMOVW K3, BX
	TESTL BX, BX
	JNZ   hit
	ADDQ  $16, AX
	KMOVW K4, BX

hit:
	BSFL BX, BX
	ADDQ BX, AX
	VZEROUPPER
	MOVQ AX, ret+24(FP)
	RET
