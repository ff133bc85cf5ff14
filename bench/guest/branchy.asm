; Raw speed, branches: a xorshift32 generator and two branches on its low
; bits, taken or not at random. Both arms of each branch are 4 instructions
; long, so an iteration is 19 instructions whichever way it goes:
;   9 (xorshift) + 4 (bit 0) + 4 (bit 1) + 2 (dec, jnz); ITER iterations.
; The C version is loop_branchy in bench/native/loops.c.
%include "bench.inc"
%ifndef ITER
%define ITER 50000000
%endif
%define SEED 2463534242
ROM_BEGIN
BENCH_ENTER

main:
    mov ecx, ITER
    mov eax, SEED               ; x
    xor esi, esi                ; s
    xor edi, edi                ; t
    xor ebx, ebx                ; q
    xor ebp, ebp                ; p
.loop:
    mov edx, eax                ; x ^= x << 13; x ^= x >> 17; x ^= x << 5
    shl edx, 13
    xor eax, edx
    mov edx, eax
    shr edx, 17
    xor eax, edx
    mov edx, eax
    shl edx, 5
    xor eax, edx
    test al, 1                  ; odd: s += x; even: s -= x, p++
    jz .even
    add esi, eax
    jmp .next1
.even:
    sub esi, eax
    inc ebp
.next1:
    test al, 2                  ; bit 1 clear: t ^= x; set: t += x, q++
    jnz .bit1
    xor edi, eax
    jmp .next2
.bit1:
    add edi, eax
    inc ebx
.next2:
    dec ecx
    jnz .loop
    add eax, esi                ; checksum x + s + t + q + p
    add eax, edi
    add eax, ebx
    add eax, ebp
    BENCH_FINISH

ROM_END
