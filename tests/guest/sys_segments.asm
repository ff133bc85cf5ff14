; Segment protection in 32-bit protected mode (SDM Vol. 3A ch. 3 and 5):
; faults when loading DS/SS (beyond the GDT limit, not present, execute-only
; code, system segment, SS privilege and type rules), limit checks on data
; and stack accesses, read-only and code segments, expand-down segments
; (B = 1 and B = 0), LLDT and segments from the LDT, SLDT/STR, a reserved
; CR4 bit, MOV to/from DR0-DR3 and DR7; the accessed bit, POP DS of a bad
; selector, far and near jumps beyond the CS limit, far JMPs to conforming
; and non-conforming code of another privilege.
%include "sys.inc"
ROM_BEGIN
SYS_CODE

%define SEL_LDT    0x30         ; LDT at LDT_BASE, 3 entries
%define SEL_SMALL  0x38         ; data DPL 0, base 0x100000, limit 0xfff
%define SEL_NP     0x40         ; not-present data DPL 0
%define SEL_XO     0x48         ; execute-only code DPL 0
%define SEL_RO     0x50         ; read-only data DPL 0
%define SEL_ED32   0x58         ; expand-down, B = 1, base 0x200000, limit 0xfff
%define SEL_ED16   0x60         ; expand-down, B = 0, same base and limit
%define SEL_STK3   0x6b         ; stack DPL 3, base 0x100000, limit 0xfff
%define SEL_NOACC  0x70         ; data DPL 0, accessed bit clear
%define SEL_CODE1M 0x78         ; code DPL 0, limit 0xfffff bytes
%define SEL_CONF   0x80         ; conforming code DPL 0
%define SEL_BEYOND 0x7f8

%define LDT_BASE   0x4000
%define LSEL_DATA  0x0c         ; LDT 1: data DPL 0, base 0x300000, limit 0xffff
%define LSEL_NP    0x14         ; LDT 2: not present
%define LSEL_OUT   0x1c         ; beyond the LDT limit

%define GP 13
%define NP 11
%define SS_ 12

    align 8
gdt_template:
    GDT_COMMON
    DESC LDT_BASE, 0x17, 0x82, 0                ; 0x30
    DESC 0x100000, 0xfff, 0x93, 0x4             ; 0x38
    DESC 0, 0xfffff, 0x13, 0xc                  ; 0x40
    DESC 0, 0xfffff, 0x99, 0xc                  ; 0x48
    DESC 0, 0xfffff, 0x91, 0xc                  ; 0x50
    DESC 0x200000, 0xfff, 0x97, 0x4             ; 0x58
    DESC 0x200000, 0xfff, 0x97, 0x0             ; 0x60
    DESC 0x100000, 0xfff, 0xf3, 0x4             ; 0x68
    DESC 0, 0xfffff, 0x92, 0xc                  ; 0x70
    DESC 0, 0xfffff, 0x9b, 0x4                  ; 0x78
    DESC 0, 0xfffff, 0x9f, 0xc                  ; 0x80
gdt_template_end:

ldt_template:
    dq 0
    DESC 0x300000, 0xffff, 0x93, 0x4
    DESC 0x300000, 0xffff, 0x13, 0x4
ldt_template_end:

; FAULTS vector, error, "message", instruction...: the instruction (one
; line) must raise vector with error; execution goes on after it.
%macro FAULTS 4+
    ARM %%r
%%i:
    %4
    FAIL32 %strcat(%3, " did not fault")
%%r:
    EXPECT %1, %2, %%i, %3
%endmacro

; FAULTS_Q: the same for a fault QEMU does not raise (see QEMU_GAP).
%macro FAULTS_Q 4+
    ARM %%r
%%i:
    %4
    QEMU_GAP %%skip, %3
%%r:
    EXPECT %1, %2, %%i, %3
%%skip:
%endmacro

; NOFAULT "message", instruction
%macro NOFAULT 2+
    ARM %%bad
    %2
    NOEXC %1
    jmp %%ok
%%bad:
    FAIL32 %1
%%ok:
%endmacro

    bits 32
main:
    mov esi, ROMBASE + ldt_template
    mov edi, LDT_BASE
    mov ecx, ldt_template_end - ldt_template
    rep movsb

    ; ---------------- loading DS ----------------
    mov ax, SEL_BEYOND
    FAULTS GP, SEL_BEYOND, "DS beyond the GDT limit", mov ds, ax
    mov ax, SEL_BEYOND | 3
    FAULTS GP, SEL_BEYOND, "DS beyond the GDT limit, RPL 3", mov ds, ax
    mov eax, ds
    CHECK32 eax, SEL_KDATA, "DS changed by a faulting load"
    mov ax, SEL_NP
    FAULTS NP, SEL_NP, "DS not present", mov ds, ax
    mov ax, SEL_XO
    FAULTS GP, SEL_XO, "DS execute-only code", mov ds, ax
    mov ax, SEL_TSS0
    FAULTS GP, SEL_TSS0, "DS TSS (system segment)", mov ds, ax
    mov ax, SEL_LDT
    FAULTS GP, SEL_LDT, "ES LDT descriptor", mov es, ax
    mov ax, SEL_KCODE
    NOFAULT "FS readable code faulted", mov fs, ax
    xor eax, eax
    NOFAULT "ES null at CPL 0 faulted", mov es, ax
    mov ax, SEL_KDATA
    mov es, ax

    ; the accessed bit is set by a load
    CHECK32 byte [GDT_BASE + SEL_NOACC + 5], 0x92, "accessed bit set before any load"
    mov ax, SEL_NOACC
    mov fs, ax
    CHECK32 byte [GDT_BASE + SEL_NOACC + 5], 0x93, "loading FS did not set the accessed bit"
    mov ax, SEL_KDATA
    mov fs, ax

    ; POP DS of a bad selector: #GP(selector), ESP not changed
    push dword SEL_BEYOND
    mov ebx, esp
    FAULTS GP, SEL_BEYOND, "POP DS beyond the GDT limit", pop ds
    CHECK32 esp, ebx, "faulting POP DS changed ESP"
    add esp, 4

    ; ---------------- code segment limit ----------------
    FAULTS GP, 0, "far JMP beyond the CS limit", jmp SEL_CODE1M:0x100000
    jmp SEL_CODE1M:(ROMBASE + in_code1m)
in_code1m:
    mov eax, cs
    CHECK32 eax, SEL_CODE1M, "far JMP to the 1 MiB code segment"
    ; QEMU does not check the limit on a near JMP: it would run the code
    ; at 0x100000, which leads back to near_nofault
    mov byte [0x100000], 0xea
    mov dword [0x100001], ROMBASE + near_nofault
    mov word [0x100005], SEL_KCODE
    ARM near_r
    mov eax, 0x100000
near_i:
    jmp eax
near_nofault:
    QEMU_GAP near_back, "near JMP beyond the CS limit"
near_r:
    EXPECT GP, 0, near_i, "near JMP beyond the CS limit"
    jmp SEL_KCODE:(ROMBASE + near_back)
near_back:
    ; CALL to non-conforming code of another privilege
    FAULTS GP, SEL_UCODE & ~3, "far CALL from CPL 0 to DPL-3 code", call SEL_UCODE:(ROMBASE + main)

    ; ---------------- loading SS ----------------
    mov bx, ss
    mov ax, SEL_UDATA & ~3
    FAULTS GP, SEL_UDATA & ~3, "SS DPL-3 data at CPL 0", mov ss, ax
    mov ax, SEL_KDATA | 3
    FAULTS GP, SEL_KDATA, "SS with RPL 3 at CPL 0", mov ss, ax
    mov ax, SEL_RO
    FAULTS GP, SEL_RO, "SS read-only data", mov ss, ax
    mov ax, SEL_KCODE
    FAULTS GP, SEL_KCODE, "SS code segment", mov ss, ax
    xor eax, eax
    FAULTS GP, 0, "SS null", mov ss, ax
    mov ax, SEL_NP
    FAULTS SS_, SEL_NP, "SS not present", mov ss, ax
    mov ax, ss
    CHECK32 ax, bx, "SS changed by a faulting load"

    ; ---------------- limits ----------------
    mov ax, SEL_SMALL
    mov fs, ax
    mov dword [0x100ffc], 0x600dcafe
    NOFAULT "read of the last dword of a segment faulted", mov eax, [fs:0xffc]
    CHECK32 eax, 0x600dcafe, "read through FS: wrong base"
    FAULTS_Q GP, 0, "dword read across the limit", mov eax, [fs:0xffd]
    FAULTS_Q GP, 0, "byte read just beyond the limit", mov al, [fs:0x1000]
    mov ebx, 0x10000
    FAULTS_Q GP, 0, "write far beyond the limit", mov [fs:ebx], al
    CHECK32 dword [0x110000], 0, "the faulting write changed memory"

    ; ---------------- read-only and code segments ----------------
    mov ax, SEL_RO
    mov fs, ax
    NOFAULT "read through a read-only segment faulted", mov eax, [fs:0x600]
    FAULTS_Q GP, 0, "write through a read-only segment", mov dword [fs:0x600], 1
    mov ax, SEL_KCODE
    mov fs, ax
    NOFAULT "read through a readable code segment faulted", mov eax, [fs:0x600]
    FAULTS_Q GP, 0, "write through a code segment", mov dword [fs:0x600], 1

    ; ---------------- expand-down segments ----------------
    mov ax, SEL_ED32
    mov fs, ax
    mov dword [0x201000], 0
    NOFAULT "expand-down: access at limit + 1 faulted", mov dword [fs:0x1000], 0xed00ed00
    CHECK32 dword [0x201000], 0xed00ed00, "expand-down: wrong linear address"
    mov ebx, 0xfffffffc
    NOFAULT "expand-down B=1: access at 0xfffffffc faulted", mov eax, [fs:ebx]
    FAULTS_Q GP, 0, "expand-down: access at the limit", mov al, [fs:0xfff]
    FAULTS_Q GP, 0, "expand-down: access at offset 0", mov al, [fs:0]
    FAULTS_Q GP, 0, "expand-down: dword starting below limit + 1", mov eax, [fs:0xffe]
    mov ax, SEL_ED16
    mov fs, ax
    NOFAULT "expand-down B=0: access at 0xfffc faulted", mov eax, [fs:0xfffc]
    NOFAULT "expand-down B=0: access at 0x1000 faulted", mov al, [fs:0x1000]
    FAULTS_Q GP, 0, "expand-down B=0: dword across 0xffff", mov eax, [fs:0xfffe]
    FAULTS_Q GP, 0, "expand-down B=0: access at 0x10000", mov al, [fs:0x10000]
    FAULTS_Q GP, 0, "expand-down B=0: access at the limit", mov al, [fs:0xfff]
    mov ax, SEL_KDATA
    mov fs, ax

    ; ---------------- LDT ----------------
    sldt eax
    CHECK32 ax, 0, "SLDT before LLDT"
    str eax
    CHECK32 ax, SEL_TSS0, "STR"
    mov ax, LSEL_DATA
    FAULTS GP, LSEL_DATA, "TI selector with a null LDTR", mov gs, ax
    mov ax, SEL_SMALL
    FAULTS GP, SEL_SMALL, "LLDT of a data segment", lldt ax
    mov ax, SEL_LDT
    lldt ax
    sldt eax
    CHECK32 ax, SEL_LDT, "SLDT after LLDT"
    mov dword [0x300010], 0
    mov ax, LSEL_DATA
    mov gs, ax
    mov dword [gs:0x10], 0x1d71d7
    CHECK32 dword [0x300010], 0x1d71d7, "segment from the LDT: wrong base"
    mov eax, gs
    CHECK32 eax, LSEL_DATA, "GS selector from the LDT"
    mov ecx, LSEL_DATA
    lsl eax, ecx
    CHECKF32 0x40, 0x40, "LSL of an LDT selector: ZF"
    CHECK32 eax, 0xffff, "LSL of an LDT selector: limit"
    mov ax, LSEL_NP
    FAULTS NP, LSEL_NP, "GS not-present LDT entry", mov gs, ax
    mov ax, LSEL_OUT
    FAULTS GP, LSEL_OUT, "GS beyond the LDT limit", mov gs, ax
    xor eax, eax
    lldt ax
    sldt eax
    CHECK32 ax, 0, "SLDT after LLDT 0"
    mov ax, LSEL_DATA
    FAULTS GP, LSEL_DATA, "TI selector after LLDT 0", mov gs, ax
    mov ax, SEL_LDT
    lldt ax
    mov ax, SEL_KDATA
    mov gs, ax

    ; ---------------- CR4 and debug registers ----------------
    mov eax, cr4
    mov esi, eax
    or eax, 0x18                    ; PSE, DE
    mov cr4, eax
    mov eax, cr4
    and eax, 0x18
    CHECK32 eax, 0x18, "CR4.PSE/DE do not read back"
    ; QEMU 7.2 loops forever on a MOV to CR4 with a reserved bit (outside
    ; an SVM guest its consistency check never raises the #GP)
    QEMU_SKIP cr4_done, "MOV CR4 with a reserved bit (QEMU 7.2 hangs on it)"
    mov eax, esi
    or eax, 0x18 | (1 << 15)
    FAULTS GP, 0, "MOV CR4 with reserved bit 15", mov cr4, eax
    mov eax, cr4
    and eax, 0x18
    CHECK32 eax, 0x18, "a faulting MOV CR4 changed CR4"
    mov eax, esi
    or eax, 0x18 | (1 << 31)
    FAULTS GP, 0, "MOV CR4 with reserved bit 31", mov cr4, eax
cr4_done:
    mov cr4, esi

    mov eax, 0x12345678
    mov dr0, eax
    mov eax, 0x9abcdef0
    mov dr1, eax
    mov eax, 0x00400004
    mov dr2, eax
    mov eax, 0xfffffffc
    mov dr3, eax
    mov eax, dr0
    CHECK32 eax, 0x12345678, "DR0 round trip"
    mov eax, dr1
    CHECK32 eax, 0x9abcdef0, "DR1 round trip"
    mov eax, dr2
    CHECK32 eax, 0x00400004, "DR2 round trip"
    mov eax, dr3
    CHECK32 eax, 0xfffffffc, "DR3 round trip"
    mov eax, 0x00550000             ; R/W and LEN fields, nothing enabled
    mov dr7, eax
    mov eax, dr7
    CHECK32 eax, 0x00550400, "DR7 round trip (bit 10 reads as 1)"
    xor eax, eax
    mov dr7, eax
    mov eax, dr7
    CHECK32 eax, 0x400, "DR7 cleared"

    ; ---------------- ring 3 ----------------
    TO_RING3 ring3, 0x002
ring3:
    mov ax, SEL_KDATA
    FAULTS GP, SEL_KDATA, "DS DPL-0 data at CPL 3", mov ds, ax
    mov ax, SEL_KDATA | 3
    FAULTS GP, SEL_KDATA, "DS DPL-0 data (RPL 3) at CPL 3", mov ds, ax
    mov ax, SEL_KCODE
    FAULTS GP, SEL_KCODE, "DS DPL-0 readable code at CPL 3", mov ds, ax
    mov ax, SEL_STK3 & ~3
    FAULTS GP, SEL_STK3 & ~3, "SS with RPL 0 at CPL 3", mov ss, ax

    ; far JMPs: conforming DPL-0 code keeps CPL 3, non-conforming faults
    jmp SEL_CONF:(ROMBASE + in_conf)
in_conf:
    mov eax, cs
    CHECK32 eax, SEL_CONF | 3, "far JMP to conforming code: CS.RPL is not the CPL"
    jmp SEL_UCODE:(ROMBASE + out_conf)
out_conf:
    FAULTS GP, SEL_KCODE, "far JMP from CPL 3 to DPL-0 code", jmp SEL_KCODE:(ROMBASE + main)

    ; stack limit: SS = 0x100000..0x100fff
    mov dword [0x100ff8], 0
    ARM stk_bad
    mov ax, SEL_STK3
    mov ss, ax
    mov esp, 0x1000
    push dword 0x57ac57ac           ; 0xffc..0xfff: inside
    mov ax, SEL_UDATA
    mov ss, ax
    mov esp, STACK3
    NOEXC "push to the top of the stack segment faulted"
    CHECK32 dword [0x100ffc], 0x57ac57ac, "push through SS: wrong linear address"
    jmp stk_1
stk_bad:
    mov ax, SEL_UDATA
    mov ss, ax
    mov esp, STACK3
    FAIL32 "push to the top of the stack segment faulted"
stk_1:
    ARM stk_1r
    mov ax, SEL_STK3
    mov ss, ax
    mov esp, 0x1002
stk_1i:
    push eax                        ; 0xffe..0x1001: beyond
    mov ax, SEL_UDATA
    mov ss, ax
    mov esp, STACK3
    QEMU_GAP stk_2, "push across the SS limit"
stk_1r:
    mov ax, SEL_UDATA
    mov ss, ax
    CHECK32 dword [ss:V_ESP], 0x1002, "#SS: saved ESP"
    CHECK32 dword [ss:V_SS], SEL_STK3, "#SS: saved SS"
    mov esp, STACK3
    EXPECT SS_, 0, stk_1i, "push across the SS limit"
stk_2:
    ARM stk_2r
    mov ax, SEL_STK3
    mov ss, ax
    mov esp, 0x800
    mov ebp, 0x1000
stk_2i:
    mov eax, [ebp]                  ; SS-relative, beyond the limit
    mov ax, SEL_UDATA
    mov ss, ax
    mov esp, STACK3
    QEMU_GAP stk_3, "EBP-based read beyond the SS limit"
stk_2r:
    mov ax, SEL_UDATA
    mov ss, ax
    mov esp, STACK3
    EXPECT SS_, 0, stk_2i, "EBP-based read beyond the SS limit"
stk_3:
    ARM stk_3r
    mov ax, SEL_STK3
    mov ss, ax
    mov esp, 0x800
    mov ebp, 0x1000
stk_3i:
    mov eax, [ds:ebp + 0x1000]      ; DS override: no SS fault
    mov ax, SEL_UDATA
    mov ss, ax
    mov esp, STACK3
    NOEXC "DS-overridden EBP-based read faulted"
    jmp stk_4
stk_3r:
    mov ax, SEL_UDATA
    mov ss, ax
    mov esp, STACK3
    FAIL32 "DS-overridden EBP-based read faulted"
stk_4:
    TO_RING0 done

done:
    PUTS32 "sys_segments: all checks passed"
    PASS

    bits 16
ROM_END
