; Entering 32-bit protected mode with flat segments, and the 32-bit forms
; of the integer instructions: SIB addressing, PUSH/POP/CALL/RET, ENTER/
; LEAVE, PUSHA/POPA, MOVZX/MOVSX, 64-bit products, CMPXCHG8B, CPUID.
%include "popek.inc"
ROM_BEGIN

PM_FLAT_ENTRY pm_entry

    bits 32
pm_entry:
    ; SIB addressing with scale and displacement
    mov dword [0x100000 + 4 * 8 + 12], 0xdeadbeef
    mov ebx, 0x100000
    mov ecx, 8
    mov eax, [ebx + ecx * 4 + 12]
    CHECK32 eax, 0xdeadbeef, "sib load"
    lea edx, [ebx + ecx * 8 - 1]
    CHECK32 edx, 0x10003f, "lea"

    ; stack: push/pop, call/ret, pusha/popa
    mov eax, 0x11111111
    push eax
    push dword 0x22222222
    pop ebx
    pop ecx
    CHECK32 ebx, 0x22222222, "pop order"
    CHECK32 ecx, 0x11111111, "pop order 2"
    mov esi, esp
    call sub_one
    CHECK32 esp, esi, "call/ret balance"
    CHECK32 eax, 1, "call reached the subroutine"
    mov eax, 1
    mov ecx, 2
    mov edx, 3
    mov ebx, 4
    mov ebp, 6
    mov esi, 7
    mov edi, 8
    pushad
    xor eax, eax
    xor ecx, ecx
    xor edi, edi
    popad
    CHECK32 eax, 1, "popad eax"
    CHECK32 edi, 8, "popad edi"
    CHECK32 ebp, 6, "popad ebp"

    ; enter/leave
    mov ebp, 0x12345678
    lea edx, [esp - 4]
    enter 16, 0
    CHECK32 ebp, edx, "enter: ebp is the old esp minus 4"
    leave
    CHECK32 ebp, 0x12345678, "leave restores ebp"

    ; movzx / movsx
    mov eax, 0xffffff80
    movzx ebx, al
    CHECK32 ebx, 0x80, "movzx"
    movsx ebx, al
    CHECK32 ebx, 0xffffff80, "movsx"
    movsx bx, al
    CHECK32 ebx, 0xffffff80, "movsx 16"

    ; 32x32 -> 64 products and 64/32 division
    mov eax, 0x80000000
    mov ecx, 4
    mul ecx
    CHECK32 edx, 2, "mul edx"
    CHECK32 eax, 0, "mul eax"
    mov edx, 2
    mov eax, 1
    mov ecx, 4
    div ecx
    CHECK32 eax, 0x80000000, "div 64/32"
    CHECK32 edx, 1, "div remainder"

    ; cmpxchg8b
    mov dword [0x100100], 1
    mov dword [0x100104], 2
    mov eax, 1
    mov edx, 2
    mov ebx, 0xaaaa
    mov ecx, 0xbbbb
    cmpxchg8b [0x100100]
    CHECKF32 0x40, 0x40, "cmpxchg8b equal sets ZF"
    CHECK32 dword [0x100104], 0xbbbb, "cmpxchg8b stored"

    ; loop and jecxz
    mov ecx, 5
    xor eax, eax
.l: add eax, ecx
    loop .l
    CHECK32 eax, 15, "loop sum"
    jecxz .z
    FAIL32 "jecxz not taken with ecx=0"
.z:

    ; CPUID: family 6, GenuineIntel
    xor eax, eax
    cpuid
    CHECK32 ebx, 'Genu', "cpuid vendor ebx"
    CHECK32 edx, 'ineI', "cpuid vendor edx"
    CHECK32 ecx, 'ntel', "cpuid vendor ecx"
    mov eax, 1
    cpuid
    shr eax, 8
    and eax, 0xf
    CHECK32 eax, 6, "cpuid family 6"

    PASS

sub_one:
    mov eax, 1
    ret

    bits 16
ROM_END
