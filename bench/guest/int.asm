; Raw speed, integer: a tight loop of register arithmetic.
;   5 instructions an iteration (add, xor, inc, dec, jnz), ITER iterations.
; The C version is loop_int in bench/native/loops.c.
%include "bench.inc"
%ifndef ITER
%define ITER 200000000
%endif
ROM_BEGIN
BENCH_ENTER

main:
    mov ecx, ITER
    xor eax, eax
    xor ebx, ebx
    xor edx, edx
.loop:
    add eax, ecx
    xor ebx, eax
    inc edx
    dec ecx
    jnz .loop
    add eax, ebx
    add eax, edx
    BENCH_FINISH

ROM_END
