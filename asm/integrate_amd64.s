//go:build !purego

#include "textflag.h"

// Integrate: p[i] += float32(v[i]*dt). Products and sums are rounded
// separately (VMULPS, then VADDPS), never fused, to match the reference.
//
// Registers: DI = p, SI = v, CX = len(p), AX = index in floats,
// DX = end of the current loop, Y0/Z0 = dt in every lane.
//
// The unrolled loop comes in two copies, one prefetching 1 KiB ahead, taken
// when prefetchMinFloats <= len(p) <= prefetchMaxFloats (the columns stream
// from L3, where software prefetch helps); the other elsewhere (in L1/L2 the
// prefetches only cost, from DRAM they get in the hardware prefetcher's way).

// INTEGRATE_YMM4 does the 32 floats at AX.
#define INTEGRATE_YMM4 \
	VMULPS  (SI)(AX*4), Y0, Y1; \
	VMULPS  32(SI)(AX*4), Y0, Y2; \
	VMULPS  64(SI)(AX*4), Y0, Y3; \
	VMULPS  96(SI)(AX*4), Y0, Y4; \
	VADDPS  (DI)(AX*4), Y1, Y1; \
	VADDPS  32(DI)(AX*4), Y2, Y2; \
	VADDPS  64(DI)(AX*4), Y3, Y3; \
	VADDPS  96(DI)(AX*4), Y4, Y4; \
	VMOVUPS Y1, (DI)(AX*4); \
	VMOVUPS Y2, 32(DI)(AX*4); \
	VMOVUPS Y3, 64(DI)(AX*4); \
	VMOVUPS Y4, 96(DI)(AX*4)

// func integrateAVX2(p, v []float32, dt float32)
TEXT ·integrateAVX2(SB), NOSPLIT, $0-52
	MOVQ         p_base+0(FP), DI
	MOVQ         p_len+8(FP), CX
	MOVQ         v_base+24(FP), SI
	VBROADCASTSS dt+48(FP), Y0
	XORQ         AX, AX

	// 32 floats (4 YMM) per iteration.
	MOVQ CX, DX
	ANDQ $-32, DX
	JZ   loop8
	CMPQ CX, ·prefetchMinFloats(SB)
	JB   loop32
	CMPQ CX, ·prefetchMaxFloats(SB)
	JA   loop32

loop32pf:
	PREFETCHT0 1024(SI)(AX*4)
	PREFETCHT0 1088(SI)(AX*4)
	PREFETCHT0 1024(DI)(AX*4)
	PREFETCHT0 1088(DI)(AX*4)
	INTEGRATE_YMM4
	ADDQ       $32, AX
	CMPQ       AX, DX
	JB         loop32pf
	JMP        loop8

loop32:
	INTEGRATE_YMM4
	ADDQ $32, AX
	CMPQ AX, DX
	JB   loop32

	// 8 floats (1 YMM) per iteration.
loop8:
	MOVQ CX, DX
	ANDQ $-8, DX

loop8body:
	CMPQ    AX, DX
	JAE     tail
	VMULPS  (SI)(AX*4), Y0, Y1
	VADDPS  (DI)(AX*4), Y1, Y1
	VMOVUPS Y1, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     loop8body

	// The last 0..7 floats one by one.
tail:
	CMPQ   AX, CX
	JAE    done
	VMOVSS (SI)(AX*4), X1
	VMULSS X0, X1, X1
	VADDSS (DI)(AX*4), X1, X1
	VMOVSS X1, (DI)(AX*4)
	INCQ   AX
	JMP    tail

done:
	VZEROUPPER
	RET

// INTEGRATE_ZMM4 does the 64 floats at AX.
#define INTEGRATE_ZMM4 \
	VMULPS  (SI)(AX*4), Z0, Z1; \
	VMULPS  64(SI)(AX*4), Z0, Z2; \
	VMULPS  128(SI)(AX*4), Z0, Z3; \
	VMULPS  192(SI)(AX*4), Z0, Z4; \
	VADDPS  (DI)(AX*4), Z1, Z1; \
	VADDPS  64(DI)(AX*4), Z2, Z2; \
	VADDPS  128(DI)(AX*4), Z3, Z3; \
	VADDPS  192(DI)(AX*4), Z4, Z4; \
	VMOVUPS Z1, (DI)(AX*4); \
	VMOVUPS Z2, 64(DI)(AX*4); \
	VMOVUPS Z3, 128(DI)(AX*4); \
	VMOVUPS Z4, 192(DI)(AX*4)

// func integrateAVX512(p, v []float32, dt float32)
TEXT ·integrateAVX512(SB), NOSPLIT, $0-52
	MOVQ         p_base+0(FP), DI
	MOVQ         p_len+8(FP), CX
	MOVQ         v_base+24(FP), SI
	VBROADCASTSS dt+48(FP), Z0
	XORQ         AX, AX

	// 64 floats (4 ZMM) per iteration.
	MOVQ CX, DX
	ANDQ $-64, DX
	JZ   loop16
	CMPQ CX, ·prefetchMinFloats(SB)
	JB   loop64
	CMPQ CX, ·prefetchMaxFloats(SB)
	JA   loop64

loop64pf:
	PREFETCHT0 1024(SI)(AX*4)
	PREFETCHT0 1088(SI)(AX*4)
	PREFETCHT0 1152(SI)(AX*4)
	PREFETCHT0 1216(SI)(AX*4)
	PREFETCHT0 1024(DI)(AX*4)
	PREFETCHT0 1088(DI)(AX*4)
	PREFETCHT0 1152(DI)(AX*4)
	PREFETCHT0 1216(DI)(AX*4)
	INTEGRATE_ZMM4
	ADDQ       $64, AX
	CMPQ       AX, DX
	JB         loop64pf
	JMP        loop16

loop64:
	INTEGRATE_ZMM4
	ADDQ $64, AX
	CMPQ AX, DX
	JB   loop64

	// 16 floats (1 ZMM) per iteration.
loop16:
	MOVQ CX, DX
	ANDQ $-16, DX

loop16body:
	CMPQ    AX, DX
	JAE     tail
	VMULPS  (SI)(AX*4), Z0, Z1
	VADDPS  (DI)(AX*4), Z1, Z1
	VMOVUPS Z1, (DI)(AX*4)
	ADDQ    $16, AX
	JMP     loop16body

	// The last 0..15 floats under the mask K1 = (1<<rest)-1: masked-off
	// lanes are neither loaded (no fault) nor stored.
tail:
	SUBQ      AX, CX
	JZ        done
	MOVL      $1, BX
	SHLL      CX, BX
	DECL      BX
	KMOVW     BX, K1
	VMOVUPS.Z (SI)(AX*4), K1, Z1
	VMOVUPS.Z (DI)(AX*4), K1, Z2
	VMULPS    Z1, Z0, Z1
	VADDPS    Z2, Z1, Z1
	VMOVUPS   Z1, K1, (DI)(AX*4)

done:
	VZEROUPPER
	RET
