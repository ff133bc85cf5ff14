; The hint NOPs 0F 18 - 0F 1F with a ModR/M byte (SDM Vol. 2 NOP and
; PREFETCHh, Vol. 2 App. A "reserved NOP"): on a P6 every form is a NOP
; that neither reads memory nor faults, whatever address its operand names
; and whatever prefixes it has. Every opcode with every reg field runs
;   - in real mode with 16-bit addressing at DS:FFFF (a dword there crosses
;     the limit), with 66, F3, F2 and segment prefixes (SS:FFFF would be
;     #SS), with 67 and an address beyond the limit, with [BP+SI+d8];
;   - in 32-bit protected mode through a null FS, through ES with a limit
;     of FFFh at 1 MiB, with 67 and 16-bit addressing through FS, and on an
;     address watched by a read/write data breakpoint in DR0 (no #DB);
;   - in register form (both modes);
; with no exception (real-mode #UD/#SS/#GP vectors FAIL; protected-mode
; exceptions FAIL through the sys.inc stubs), and EAX..EDI and EFLAGS
; unchanged. QEMU (7.2) raises #UD for the register forms of 0F 18 /0-/3,
; which are skipped there. Then SALC (D6), the other opcode a P6 runs that
; the SDM leaves unnamed: AL = CF ? FFh : 0, flags unchanged.
%include "sys.inc"
ROM_BEGIN
%define SYS_REAL_HOOK hint_real
SYS_CODE

%define SEL_SMALL 0x30          ; data, base 1 MiB, limit FFFh
%define WATCH     V_TMP + 0x20  ; the data breakpoint's dword
%define FL_CF_BIT 1

    align 8
gdt_template:
    GDT_COMMON
    DESC 0x100000, 0xfff, ACC_KDATA, 0x4
gdt_template_end:

; Every reg field of every opcode 0F 18..0F 1F, through `%1 modrm-base` (a
; macro emitting one instruction given op and the ModR/M byte without reg).
%macro EVERY_HINT 1
%assign hop 0x18
%rep 8
%assign hreg 0
%rep 8
    %1 hop, hreg << 3
%assign hreg hreg + 1
%endrep
%assign hop hop + 1
%endrep
%endmacro

; 16-bit memory forms: DS:FFFF with prefixes, 32-bit addressing, BP+SI.
%macro HINT16_MEM 2
    db 0x0f, %1, %2 | 6
    dw 0xffff
    db 0x66, 0x0f, %1, %2 | 6
    dw 0xffff
    db 0xf3, 0x0f, %1, %2 | 6
    dw 0xffff
    db 0xf2, 0x0f, %1, %2 | 6
    dw 0xffff
    db 0x36, 0x0f, %1, %2 | 6
    dw 0xffff
    db 0x26, 0x66, 0x0f, %1, %2 | 6
    dw 0xffff
    db 0x67, 0x0f, %1, %2 | 5
    dd 0xfffffff0
    db 0x66, 0x67, 0x64, 0x0f, %1, %2 | 5
    dd 0x00123456
    db 0x0f, %1, 0x42 | %2, 0x7f
%endmacro

; 32-bit memory forms: a null FS, ES limited to FFFh, 16-bit addressing, the watched dword.
%macro HINT32_MEM 2
    db 0x64, 0x0f, %1, %2 | 5
    dd 0
    db 0x26, 0x0f, %1, %2 | 5
    dd 0x2000
    db 0x66, 0x64, 0x0f, %1, %2 | 5
    dd 0x10
    db 0xf3, 0x26, 0x0f, %1, %2 | 5
    dd 0xfffffffc
    db 0xf2, 0x64, 0x0f, %1, %2 | 5
    dd 0x10
    db 0x67, 0x64, 0x0f, %1, %2 | 6
    dw 0xffff
    db 0x0f, %1, %2 | 5
    dd WATCH
    db 0x66, 0x0f, %1, %2 | 5
    dd WATCH + 2
%endmacro

; Register forms (0F 18 /0-/3 separately: QEMU raises #UD for them).
%macro HINT_REG 2
%if %1 != 0x18 || %2 >= (4 << 3)
    db 0x0f, %1, 0xc0 | %2 | 1
    db 0x66, 0x0f, %1, 0xc0 | %2 | 7
%endif
%endmacro
%macro HINT_REG_PREFETCH 2
%if %1 == 0x18 && %2 < (4 << 3)
    db 0x0f, %1, 0xc0 | %2 | 1
    db 0x66, 0x0f, %1, 0xc0 | %2 | 7
%endif
%endmacro

; Register values the hint NOPs must leave alone.
%macro SET_REGS 0
    mov eax, 0x11111111
    mov ecx, 0x22222222
    mov edx, 0x33333333
    mov ebx, 0x44444444
    mov esi, 0x0000fffe
    mov edi, 0x66666666
    mov ebp, 0x0000ffff
%endmacro

%macro CHECK_REGS 2
    %1 eax, 0x11111111, %strcat(%2, ": EAX changed")
    %1 ecx, 0x22222222, %strcat(%2, ": ECX changed")
    %1 edx, 0x33333333, %strcat(%2, ": EDX changed")
    %1 ebx, 0x44444444, %strcat(%2, ": EBX changed")
    %1 esi, 0x0000fffe, %strcat(%2, ": ESI changed")
    %1 edi, 0x66666666, %strcat(%2, ": EDI changed")
    %1 ebp, 0x0000ffff, %strcat(%2, ": EBP changed")
%endmacro

    bits 16
; Real mode, DS = ES = SS = 0: #UD, #SS and #GP go to rm_fault.
hint_real:
    mov word [6 * 4], rm_fault
    mov word [6 * 4 + 2], 0xf000
    mov word [12 * 4], rm_fault
    mov word [12 * 4 + 2], 0xf000
    mov word [13 * 4], rm_fault
    mov word [13 * 4 + 2], 0xf000
    mov ax, 0x1000
    mov fs, ax
    SET_REGS
    push word 0x08d5            ; OF, SF, ZF, AF, PF, CF set
    popf
    EVERY_HINT HINT16_MEM
    EVERY_HINT HINT_REG
    pushf
    pop ax
    and ax, 0x08d5
    CHECK16 ax, 0x08d5, "hint NOPs in real mode changed the flags"
    mov eax, 0x11111111
    cmp dword [V_QEMU], 1
    je .no_prefetch_reg
    EVERY_HINT HINT_REG_PREFETCH
.no_prefetch_reg:
    CHECK_REGS CHECK16, "hint NOPs in real mode"
    xor ax, ax
    mov fs, ax
    ret

rm_fault:
    FAIL16 "a hint NOP raised #UD, #SS or #GP in real mode"

    bits 32
main:
    xor eax, eax
    mov fs, ax                  ; null
    mov ax, SEL_SMALL
    mov es, ax
    mov eax, WATCH              ; DR0: read/write, 4 bytes
    mov dr0, eax
    mov eax, 0x000f0001
    mov dr7, eax
    SET_REGS
    push dword 0x08d5
    popfd
    EVERY_HINT HINT32_MEM
    EVERY_HINT HINT_REG
    pushfd
    pop eax
    and eax, 0x08d5
    CHECK32 eax, 0x08d5, "hint NOPs in protected mode changed the flags"
    mov eax, 0x11111111
    cmp dword [V_QEMU], 1
    je .no_prefetch_reg
    EVERY_HINT HINT_REG_PREFETCH
.no_prefetch_reg:
    CHECK_REGS CHECK32, "hint NOPs in protected mode"
    xor eax, eax
    mov dr7, eax
    mov ax, SEL_KDATA
    mov es, ax
    mov fs, ax

    ; ---------------- SALC (D6): no mnemonic in the SDM, yet every IA-32 CPU runs it ----------------
    mov eax, 0x12345678
    stc
    db 0xd6
    CHECKF32 FL_CF_BIT, FL_CF_BIT, "SALC changed CF"
    CHECK32 eax, 0x123456ff, "SALC with CF set: AL is not FFh"
    clc
    db 0xd6
    CHECKF32 FL_CF_BIT, 0, "SALC changed CF"
    CHECK32 eax, 0x12345600, "SALC with CF clear: AL is not 0"
    PASS

ROM_END
