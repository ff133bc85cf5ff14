; Code and data on one page, as DOS-era programs keep them: a routine copied
; to RAM writes data words between and right after its own instructions in a
; hot loop, and every 256th pass patches the immediate of an instruction it
; runs next and writes a word straddling a data byte and that instruction's
; first byte. Once in real mode (16-bit code, DOS-like) and once in flat
; 32-bit protected mode (which tier 1 turns into host code). The sums say
; whether every pass ran the bytes as they were at that moment.
;
; OUTER (default 1) runs each routine that many times, for measuring.
%include "popek.inc"
ROM_BEGIN

%ifndef OUTER
%define OUTER 1
%endif

%define RM_SEG  0x3000              ; the real-mode routine runs at RM_SEG:0
%define PM_COPY 0x40000             ; the 32-bit one at this linear address
%define RMC(x) ((x) - rm_begin)
%define PMC(x) (PM_COPY + (x) - pm_begin)
; 65536 passes; the added immediate goes 2, 3, ... 257, 256 passes each.
%define SUM_ADD (256 * (2 * 256 + 255 * 256 / 2))

start:
    cli
    cld
    xor ax, ax
    mov ss, ax
    mov esp, 0x7000
    mov ds, ax

    ; ---- real mode ----
    push cs
    pop ds
    mov ax, RM_SEG
    mov es, ax
    mov si, rm_begin
    xor di, di
    mov cx, rm_end - rm_begin
    rep movsb
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov bp, OUTER
rm_again:
    call RM_SEG:0
    dec bp
    jnz rm_again
    CHECK16 edx, SUM_ADD, "real mode: the patched immediates added"
    mov ax, RM_SEG
    mov ds, ax
    CHECK16 dword [RMC(rm_count)], 0x10000, "real mode: the data word between instructions"
    CHECK16 word [RMC(rm_last)], 1, "real mode: the data word after the code"
    CHECK16 byte [RMC(rm_pad)], 0x90, "real mode: the data byte before the patched instruction"
    xor ax, ax
    mov ds, ax

    ; ---- flat 32-bit protected mode ----
    o32 lgdt [cs:gdt_desc]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword 0x08:(ROMBASE + pm_entry)

    align 8
gdt:
    dq 0
    dq 0x00cf9b000000ffff  ; 0x08: code, base 0, limit 4 GiB, 32-bit
    dq 0x00cf93000000ffff  ; 0x10: data, base 0, limit 4 GiB
gdt_desc:
    dw gdt_desc - gdt - 1
    dd ROMBASE + gdt

; Copied to RM_SEG:0 and called far there (CS = RM_SEG); writes through CS.
rm_begin:
    xor edx, edx
    xor cx, cx                          ; 65536 passes
    mov dword [cs:RMC(rm_count)], 0
rm_loop:
    inc dword [cs:RMC(rm_count)]
    jmp short rm_over
rm_count: dd 0                          ; data between instructions
rm_over:
    mov [cs:RMC(rm_last)], cx
    test cl, cl
    jnz rm_add
    mov word [cs:RMC(rm_pad)], 0x6690   ; the pad and rm_add's first byte, as they are
    inc dword [cs:RMC(rm_add) + 3]      ; the immediate of rm_add: 66 81 C2 imm32
    jmp short rm_add
rm_pad: db 0x90                         ; data right before an instruction
rm_add:
    add edx, strict dword 1
    loop rm_loop
    mov dword [cs:RMC(rm_add) + 3], 1   ; as it was, for the next call
    retf
rm_last: dw 0                           ; data right after the code
rm_end:

    bits 32
pm_entry:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x90000
    mov esi, ROMBASE + pm_begin
    mov edi, PM_COPY
    mov ecx, pm_end - pm_begin
    rep movsb
    mov ebp, OUTER
pm_again:
    mov eax, PM_COPY                    ; absolute: the image is not linked at ROMBASE
    call eax
    dec ebp
    jnz pm_again
    CHECK32 edx, SUM_ADD, "protected mode: the patched immediates added"
    CHECK32 dword [PMC(pm_sum)], 0x80008000, "protected mode: the data between instructions"
    CHECK32 dword [PMC(pm_last)], 1, "protected mode: the data after the code"
    CHECK32 byte [PMC(pm_pad)], 0x90, "protected mode: the data byte before the patched one"
    PASS

; Copied to PM_COPY and called there.
pm_begin:
    xor edx, edx
    mov ecx, 65536
    mov dword [PMC(pm_sum)], 0
pm_loop:
    add [PMC(pm_sum)], ecx
    jmp short pm_over
pm_sum: dd 0                            ; data between instructions
pm_over:
    mov [PMC(pm_last)], ecx
    test cl, cl
    jnz pm_add
    mov word [PMC(pm_pad)], 0x8190      ; the pad and pm_add's first byte, as they are
    inc dword [PMC(pm_add) + 2]         ; the immediate of pm_add: 81 C2 imm32
    jmp short pm_add
pm_pad: db 0x90                         ; data right before an instruction
pm_add:
    add edx, strict dword 1
    dec ecx
    jnz pm_loop
    mov dword [PMC(pm_add) + 2], 1      ; as it was, for the next call
    ret
pm_last: dd 0                           ; data after the code
pm_end:

ROM_END
