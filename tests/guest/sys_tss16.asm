; Task switches to and from 16-bit (286) TSSs (SDM Vol. 3A §7.2.2, §7.6):
; what a 16-bit TSS holds is loaded and nothing else.
;   - JMP to a 16-bit TSS loads IP (EIP zero-extended), FLAGS (the upper
;     half of EFLAGS keeps what it held: ID here), AX..DI, SP and BP into
;     the low halves of the registers (their upper halves keep what they
;     held), ES CS SS DS, the LDTR; FS and GS become null; CR3 is not
;     loaded (a 16-bit TSS has no field for it); CR0.TS is set.
;   - Leaving a 16-bit task by JMP saves IP, FLAGS, AX..DI, ES CS SS DS in
;     the 16-bit layout and nothing else.
;   - An exception through a task gate to a 16-bit task pushes its error
;     code as a word; the task's IRET (NT) returns to the 32-bit task.
%include "sys.inc"
ROM_BEGIN
SYS_CODE

%define SEL_TSSA   0x30         ; 16-bit TSS, entered by JMP
%define SEL_TSSB   0x38         ; 16-bit TSS behind the #GP task gate
%define SEL_CODE16 0x40         ; 16-bit code, base F0000
%define SEL_STK16  0x48         ; 16-bit data, base 50000h (the tasks' stacks)
%define SEL_LDTA   0x50         ; task A's LDT
%define TSSA       0x3800
%define TSSB       0x3900
%define LDTA       0x3a00

; 16-bit TSS fields
%define T16_LINK   0x00
%define T16_IP     0x0e
%define T16_FLAGS  0x10
%define T16_AX     0x12
%define T16_CX     0x14
%define T16_DX     0x16
%define T16_BX     0x18
%define T16_SP     0x1a
%define T16_BP     0x1c
%define T16_SI     0x1e
%define T16_DI     0x20
%define T16_ES     0x22
%define T16_CS     0x24
%define T16_SS     0x26
%define T16_DS     0x28
%define T16_LDT    0x2a

; what task A saw
%define A_REGS     V_TMP + 0x00 ; EAX ECX EDX EBX ESP EBP ESI EDI
%define A_EFL      V_TMP + 0x20
%define A_FS       V_TMP + 0x24
%define A_GS       V_TMP + 0x26
%define A_LDT      V_TMP + 0x28
%define A_CR3      V_TMP + 0x2c
%define A_CR0      V_TMP + 0x30
%define B_SP       V_TMP + 0x34
%define B_ERR      V_TMP + 0x36
%define B_RUNS     V_TMP + 0x38
%define M_ESP      V_TMP + 0x3c

%define EFL_ID     0x200000

    align 8
gdt_template:
    GDT_COMMON
    DESC TSSA, 0x2b, 0x81, 0                    ; 0x30: 16-bit TSS, available
    DESC TSSB, 0x2b, 0x81, 0                    ; 0x38
    DESC 0xf0000, 0xffff, 0x9b, 0               ; 0x40
    DESC 0x50000, 0xffff, 0x93, 0               ; 0x48
    DESC LDTA, 0x0f, 0x82, 0                    ; 0x50
gdt_template_end:

; INIT_TSS16 base, entry, sp: every field written (the registers with marks)
%macro INIT_TSS16 3
    mov edi, %1
    mov ecx, 0x2c
    xor eax, eax
    rep stosb
    mov word [%1 + T16_IP], %2
    mov word [%1 + T16_FLAGS], 0x0083           ; SF, CF and bit 1
    mov word [%1 + T16_AX], 0xaaaa
    mov word [%1 + T16_CX], 0xcccc
    mov word [%1 + T16_DX], 0xdddd
    mov word [%1 + T16_BX], 0xbbbb
    mov word [%1 + T16_SP], %3
    mov word [%1 + T16_BP], 0xb9b9
    mov word [%1 + T16_SI], 0x5151
    mov word [%1 + T16_DI], 0xd1d1
    mov word [%1 + T16_ES], SEL_KDATA
    mov word [%1 + T16_CS], SEL_CODE16
    mov word [%1 + T16_SS], SEL_STK16
    mov word [%1 + T16_DS], SEL_KDATA
%endmacro

    bits 32
main:
    INIT_TSS16 TSSA, task_a, 0xf000
    INIT_TSS16 TSSB, task_b, 0xe000
    mov word [TSSA + T16_LDT], SEL_LDTA
    mov dword [TSSA + 0x2c], 0
    mov dword [LDTA], 0
    mov dword [LDTA + 4], 0
    mov dword [LDTA + 8], 0
    mov dword [LDTA + 12], 0

    ; ---------------- JMP to a 16-bit TSS ----------------
    mov eax, 0x5000             ; CR3 (paging is off): not in a 16-bit TSS
    mov cr3, eax
    pushfd
    or dword [esp], EFL_ID
    popfd
    mov [M_ESP], esp
    mov eax, 0x10100000
    mov ecx, 0x20200000
    mov edx, 0x30300000
    mov ebx, 0x40400000
    mov ebp, 0x60600000
    mov esi, 0x70700000
    mov edi, 0x80800000
    jmp SEL_TSSA:0
back_from_a:
    clts
    CHECK32 esp, [M_ESP], "JMP back to TSS0: ESP"
    CHECK32 dword [A_REGS + 0], 0x1010aaaa, "16-bit TSS: EAX is not the old upper half and AX"
    CHECK32 dword [A_REGS + 4], 0x2020cccc, "16-bit TSS: ECX is not the old upper half and CX"
    CHECK32 dword [A_REGS + 8], 0x3030dddd, "16-bit TSS: EDX is not the old upper half and DX"
    CHECK32 dword [A_REGS + 12], 0x4040bbbb, "16-bit TSS: EBX is not the old upper half and BX"
    mov eax, [M_ESP]
    and eax, 0xffff0000
    or eax, 0xf000
    CHECK32 dword [A_REGS + 16], eax, "16-bit TSS: ESP is not the old upper half and SP"
    CHECK32 dword [A_REGS + 20], 0x6060b9b9, "16-bit TSS: EBP is not the old upper half and BP"
    CHECK32 dword [A_REGS + 24], 0x70705151, "16-bit TSS: ESI is not the old upper half and SI"
    CHECK32 dword [A_REGS + 28], 0x8080d1d1, "16-bit TSS: EDI is not the old upper half and DI"
    mov eax, [A_EFL]
    and eax, EFL_ID | 0xffff
    CHECK32 eax, EFL_ID | 0x0083, "16-bit TSS: EFLAGS is not the old upper half (ID) and FLAGS"
    CHECK32 word [A_FS], 0, "16-bit TSS: FS is not null"
    CHECK32 word [A_GS], 0, "16-bit TSS: GS is not null"
    CHECK32 word [A_LDT], SEL_LDTA, "16-bit TSS: LDTR not loaded"
    CHECK32 dword [A_CR3], 0x5000, "16-bit TSS: CR3 changed"
    mov eax, [A_CR0]
    and eax, 8
    CHECK32 eax, 8, "16-bit TSS: CR0.TS not set"
    ; what task A's JMP saved in its 16-bit TSS
    CHECK32 word [TSSA + T16_IP], a_after_jmp, "leaving a 16-bit task: saved IP"
    CHECK32 word [TSSA + T16_AX], 0x1234, "leaving a 16-bit task: saved AX"
    CHECK32 word [TSSA + T16_CX], 0xcccc, "leaving a 16-bit task: saved CX"
    CHECK32 word [TSSA + T16_SP], 0xf000, "leaving a 16-bit task: saved SP"
    CHECK32 word [TSSA + T16_SI], 0x5151, "leaving a 16-bit task: saved SI"
    CHECK32 word [TSSA + T16_ES], SEL_KDATA, "leaving a 16-bit task: saved ES"
    CHECK32 word [TSSA + T16_CS], SEL_CODE16, "leaving a 16-bit task: saved CS"
    CHECK32 word [TSSA + T16_SS], SEL_STK16, "leaving a 16-bit task: saved SS"
    CHECK32 word [TSSA + T16_DS], SEL_KDATA, "leaving a 16-bit task: saved DS"
    CHECK32 word [TSSA + T16_LDT], SEL_LDTA, "leaving a 16-bit task: the LDT field written"
    CHECK32 word [TSSA + 0x2c], 0, "leaving a 16-bit task: written past its end"
    mov ax, [TSSA + T16_FLAGS]
    and ax, 0x08d5
    CHECK32 ax, 0x0080, "leaving a 16-bit task: saved FLAGS (SF from its TSS, CF cleared by it)"

    ; ---------------- #GP through a task gate to a 16-bit task: a word error code ----------------
    SET_GATE 13, 0, SEL_TSSB, GATE_TASK
    mov dword [B_RUNS], 0
    mov ax, 0x7f8               ; beyond the GDT limit
gp_insn:
    mov fs, ax
    FAIL32 "loading FS with a selector beyond the GDT limit did not fault"
gp_back:                        ; task B sends TSS0 here
    clts
    SET_GATE 13, ROMBASE + sys_exc_stubs + 13 * 16, SEL_KCODE, GATE_INT0
    CHECK32 dword [B_RUNS], 1, "#GP through a task gate to a 16-bit task: the task did not run once"
    CHECK32 word [B_SP], 0xe000 - 2, "#GP into a 16-bit task: the error code is not one word"
    CHECK32 word [B_ERR], 0x7f8, "#GP into a 16-bit task: the error code"
    CHECK32 word [TSSB + T16_LINK], SEL_TSS0, "#GP into a 16-bit task: back link"
    str eax
    CHECK32 ax, SEL_TSS0, "IRET from the 16-bit task: TR"
    PASS

    bits 16
; Task A: a 16-bit task (CS base F0000, SS base 50000h, DS flat).
task_a:
    o32 pushfd
    o32 pop dword [A_EFL]
    mov [A_REGS + 0], eax
    mov [A_REGS + 4], ecx
    mov [A_REGS + 8], edx
    mov [A_REGS + 12], ebx
    mov [A_REGS + 16], esp
    mov [A_REGS + 20], ebp
    mov [A_REGS + 24], esi
    mov [A_REGS + 28], edi
    mov [A_FS], fs
    mov [A_GS], gs
    sldt [A_LDT]
    mov eax, cr3
    mov [A_CR3], eax
    mov eax, cr0
    mov [A_CR0], eax
    mov eax, 0xffff1234         ; AX is saved, the upper half is not
    clc
    jmp SEL_TSS0:0
a_after_jmp:
    FAIL16 "task A resumed after its JMP to TSS0"

; Task B: entered through the #GP task gate with the error code on its stack.
task_b:
    inc dword [B_RUNS]
    mov [B_SP], sp
    pop word [B_ERR]
    mov dword [TSS0_BASE + 0x20], ROMBASE + gp_back     ; TSS0's EIP: past the fault
    iret
    jmp task_b

ROM_END
