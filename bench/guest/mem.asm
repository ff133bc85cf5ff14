; Raw speed, memory: PASSES rounds of the sieve of Eratosthenes over SIZE
; bytes of flags at 4 MiB (a byte a number: 0 = prime), each round clearing
; the flags with dword stores, crossing off the multiples of each prime p
; from p*p, and counting the primes below SIZE. The checksum is the sum of
; the counts. Instructions a round, from the loop structure:
;   8 + SIZE (clear: 4 per dword) + 7 per outer i (2 <= i, i*i < SIZE)
;   + 2 per prime among those i + 4 per crossing-off store
;   + 5 per number 2 .. SIZE-1 counted + 1 per prime below SIZE
; bench/native/loops.c (loop_mem) runs the same sieve and gives this count.
%include "bench.inc"
%ifndef SIZE
%define SIZE 4194304
%endif
%ifndef PASSES
%define PASSES 12
%endif
%define FLAGS 0x400000
%define PASSVAR 0x1000
ROM_BEGIN
BENCH_ENTER

main:
    xor ebp, ebp
    mov dword [PASSVAR], PASSES
.pass:
    mov edi, FLAGS
    xor eax, eax
.clear:
    mov [edi], eax
    add edi, 4
    cmp edi, FLAGS + SIZE
    jb .clear
    mov ecx, 2                  ; i
.outer:
    cmp byte [FLAGS + ecx], 0
    jne .next
    mov eax, ecx                ; a prime: cross off i*i, i*i + i, ...
    imul eax, ecx
.cross:
    mov byte [FLAGS + eax], 1
    add eax, ecx
    cmp eax, SIZE
    jb .cross
.next:
    inc ecx
    mov eax, ecx
    imul eax, ecx
    cmp eax, SIZE
    jb .outer
    mov esi, FLAGS + 2
    xor edx, edx
.count:
    cmp byte [esi], 0
    jne .composite
    inc edx
.composite:
    inc esi
    cmp esi, FLAGS + SIZE
    jb .count
    add ebp, edx
    dec dword [PASSVAR]
    jnz .pass
    mov eax, ebp
    BENCH_FINISH

ROM_END
