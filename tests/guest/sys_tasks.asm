; Hardware task switching with 32-bit TSSs (SDM Vol. 3A ch. 7): JMP to a
; TSS (busy bits, the state saved in the old TSS, CR0.TS), CALL through a
; task gate (NT, back link) and IRET back (NT cleared, busy bit of the
; returning task cleared, its state saved), JMP to a busy TSS (#GP), to a
; TSS with a limit below 0x67 (#TS), INT n through task gates to a busy
; TSS and to a selector beyond the GDT limit (#GP), the LDT loaded from the
; new TSS, IRET with NT set to a back link that is not a busy TSS (#TS),
; and a double fault (#NP while delivering #GP) through a task gate in IDT
; entry 8 into a clean task. A task switch clears DR7's local enables.
%include "sys.inc"
ROM_BEGIN
SYS_CODE

%define SEL_TSSA  0x30          ; task A
%define SEL_TSSB  0x38          ; task B, entered through the task gate
%define SEL_TSSD  0x40          ; the double-fault task
%define SEL_TGATE 0x48          ; task gate -> task B
%define SEL_TSSS  0x50          ; a TSS with limit 0x60
%define SEL_LDTA  0x58          ; task A's LDT
%define LDTA      0x3800
%define LSEL_A    0x0c          ; LDT entry 1: data, base 0x300000
%define TSSA      0x3100
%define TSSB      0x3200
%define TSSD      0x3300
%define STACKA    0x60000
%define STACKB    0x5c000
%define STACKD    0x58000

; 32-bit TSS fields
%define T_LINK   0x00
%define T_CR3    0x1c
%define T_EIP    0x20
%define T_EFL    0x24
%define T_EAX    0x28
%define T_ECX    0x2c
%define T_EBX    0x34
%define T_ESI    0x40
%define T_ESP    0x38
%define T_ES     0x48
%define T_CS     0x4c
%define T_SS     0x50
%define T_DS     0x54
%define T_FS     0x58
%define T_GS     0x5c
%define T_LDT    0x60
%define T_IOMAP  0x66

%define TYPEBYTE(sel) byte [GDT_BASE + (sel) + 5]

%define RUNS_B   V_TMP + 0x00   ; how often task B ran, and where
%define B_STAGE  V_TMP + 0x04

    align 8
gdt_template:
    GDT_COMMON
    DESC TSSA, 0x67, ACC_TSS32, 0               ; 0x30
    DESC TSSB, 0x67, ACC_TSS32, 0               ; 0x38
    DESC TSSD, 0x67, ACC_TSS32, 0               ; 0x40
    dw 0, SEL_TSSB, 0x8500, 0                   ; 0x48 task gate, DPL 0
    DESC 0x3400, 0x60, ACC_TSS32, 0             ; 0x50
    DESC LDTA, 0x0f, 0x82, 0                    ; 0x58
gdt_template_end:

; INIT_TSS base, entry label, esp, eax
%macro INIT_TSS 4
    mov edi, %1
    mov ecx, 0x68
    xor eax, eax
    rep stosb
    mov dword [%1 + T_EIP], ROMBASE + %2
    mov dword [%1 + T_EFL], 0x2
    mov dword [%1 + T_ESP], %3
    mov dword [%1 + T_EAX], %4
    mov dword [%1 + T_CS], SEL_KCODE
    mov dword [%1 + T_SS], SEL_KDATA
    mov dword [%1 + T_DS], SEL_KDATA
    mov dword [%1 + T_ES], SEL_KDATA
    mov dword [%1 + T_FS], SEL_KDATA
    mov dword [%1 + T_GS], SEL_KDATA
    mov word [%1 + T_IOMAP], 0x68
%endmacro

; CHECK_TS "message": CR0.TS is set; clear it (keeps EAX)
%macro CHECK_TS 1
    push eax
    mov eax, cr0
    and eax, 8
    CHECK32 eax, 8, %1
    pop eax
    clts
%endmacro

    bits 32
main:
    INIT_TSS TSSA, task_a, STACKA, 0xa1a1a1a1
    INIT_TSS TSSB, task_b, STACKB, 0xb2b2b2b2
    INIT_TSS TSSD, task_d, STACKD, 0xd4d4d4d4
    mov word [TSSA + T_LINK], 0x7777
    mov word [TSSA + T_LDT], SEL_LDTA
    mov dword [LDTA], 0
    mov dword [LDTA + 4], 0
    mov dword [LDTA + 8], 0x0000ffff            ; base 0x300000, limit 0xffff
    mov dword [LDTA + 12], 0x00409330
    mov dword [0x300020], 0x1d7a1d7a

    CHECK32 TYPEBYTE(SEL_TSS0), 0x8b, "LTR did not mark TSS0 busy"
    CHECK32 TYPEBYTE(SEL_TSSA), 0x89, "TSS A busy before use"
    str eax
    CHECK32 eax, SEL_TSS0, "STR after LTR"

    ; ---------------- JMP to a busy TSS: #GP(selector) ----------------
    ARM busy_done
busy_insn:
    jmp SEL_TSS0:0
    FAIL32 "JMP to the busy current TSS did not fault"
busy_done:
    EXPECT 13, SEL_TSS0, busy_insn, "JMP to a busy TSS"

    ; ---------------- JMP to a TSS with a too small limit: #TS ----------
    ARM small_done
small_insn:
    jmp SEL_TSSS:0
    FAIL32 "JMP to a TSS with limit 0x60 did not fault"
small_done:
    EXPECT 10, SEL_TSSS, small_insn, "JMP to a TSS with limit 0x60"
    str eax
    CHECK32 eax, SEL_TSS0, "#TS for a small TSS: TR changed"
    CHECK32 TYPEBYTE(SEL_TSSS), 0x89, "#TS for a small TSS: it was marked busy"

    ; ---------------- INT n through bad task gates: #GP(TSS selector) ----
    ; (SDM Vol. 3A table 7-1 and the INT n pseudocode: a busy TSS, or a
    ; selector beyond the GDT limit, in a task gate is #GP for INT)
    SET_GATE 0x50, 0, SEL_TSS0, GATE_TASK
    SET_GATE 0x51, 0, 0x7f8, GATE_TASK
    ARM tg_busy
tg_busy_insn:
    int 0x50
    FAIL32 "INT through a task gate to the busy current TSS did not fault"
tg_busy:
    EXPECT 13, SEL_TSS0, tg_busy_insn, "INT through a task gate to a busy TSS"
    ARM tg_beyond
tg_beyond_insn:
    int 0x51
    FAIL32 "INT through a task gate to a selector beyond the GDT did not fault"
tg_beyond:
    EXPECT 13, 0x7f8, tg_beyond_insn, "INT through a task gate to a selector beyond the GDT limit"
    str eax
    CHECK32 eax, SEL_TSS0, "faulting INT through a task gate: TR changed"

    ; ---------------- JMP to task A ----------------
    clts
    mov ebx, 0x1234abcd
    mov esi, 0x5678ef01
    mov ebp, 0x0badf00d
    mov [V_TMP + 0x10], esp
    mov eax, 0xfffffff0          ; breakpoints on what nothing here executes
    mov dr0, eax
    mov dr1, eax
    mov eax, 0x409               ; L0 and G1: a task switch clears the local one
    mov dr7, eax
    jmp SEL_TSSA:0x0
after_jmp1:
    ; back from task A's JMP to TSS0
    CHECK_TS "JMP back to TSS0: CR0.TS not set"
    CHECK32 ebx, 0x1234abcd, "JMP back to TSS0: EBX not restored"
    CHECK32 esi, 0x5678ef01, "JMP back to TSS0: ESI not restored"
    CHECK32 ebp, 0x0badf00d, "JMP back to TSS0: EBP not restored"
    CHECK32 esp, [V_TMP + 0x10], "JMP back to TSS0: ESP not restored"
    str eax
    CHECK32 eax, SEL_TSS0, "JMP back to TSS0: TR"
    sldt eax
    CHECK32 eax, 0, "JMP back to TSS0: LDTR is not TSS0's (null)"
    CHECK32 TYPEBYTE(SEL_TSS0), 0x8b, "JMP back to TSS0: TSS0 not busy"
    CHECK32 TYPEBYTE(SEL_TSSA), 0x89, "JMP back to TSS0: task A still busy"
    CHECK32 dword [TSSA + T_EIP], ROMBASE + after_jmp2, "TSS A: saved EIP after its JMP"
    CHECK32 dword [TSSA + T_EBX], 0xfeedface, "TSS A: saved EBX"
    CHECK32 dword [RUNS_B], 2, "task B did not run twice"
    PUTS32 "task switches done"

    ; ---------------- IRET with NT to a back link not busy: #TS --------
    mov word [TSS0_BASE + T_LINK], SEL_TSSA    ; available, not busy
    pushfd
    or dword [esp], EFL_NT
    popfd
    ARM nt1_done
nt1_insn:
    iretd
    FAIL32 "IRET with NT to a TSS that is not busy did not fault"
nt1_done:
    EXPECT 10, SEL_TSSA, nt1_insn, "IRET with NT to a TSS that is not busy"
    mov word [TSS0_BASE + T_LINK], SEL_KDATA   ; not a TSS
    ARM nt2_done
nt2_insn:
    iretd
    FAIL32 "IRET with NT to a data segment did not fault"
nt2_done:
    EXPECT 10, SEL_KDATA, nt2_insn, "IRET with NT to a back link that is not a TSS"
    str eax
    CHECK32 eax, SEL_TSS0, "faulting IRET with NT: TR changed"
    pushfd
    and dword [esp], ~EFL_NT
    popfd
    mov word [TSS0_BASE + T_LINK], 0

    ; ---------------- double fault through a task gate ----------------
    SET_GATE 8, 0, SEL_TSSD, GATE_TASK
    and byte [IDT_BASE + 13 * 8 + 5], 0x7f      ; #GP gate not present
    mov dword [V_TMP + 0x20], 0
    mov dword [V_TMP + 0x24], 0
    mov ebx, 0x600d600d
    mov ax, 0x7f8                               ; beyond the GDT limit
df_insn:
    mov ds, ax                                  ; #GP -> #NP -> #DF
    FAIL32 "loading DS with a selector beyond the GDT limit did not fault"
after_df:
    ; the double-fault task IRETs here (it set TSS0's EIP to this label)
    CHECK32 dword [V_TMP + 0x20], 1, "the double-fault task did not run"
    CHECK32 ebx, 0x600d600d, "after the double-fault task: EBX"
    str eax
    CHECK32 eax, SEL_TSS0, "IRET from the double-fault task: TR"
    CHECK32 TYPEBYTE(SEL_TSSD), 0x89, "IRET from the double-fault task: its busy bit"
    CHECK_TS "IRET from the double-fault task: CR0.TS"
    pushfd
    pop eax
    and eax, EFL_NT
    CHECK32 eax, 0, "IRET from the double-fault task: NT"
    PUTS32 "sys_tasks: all checks passed"
    PASS

; ---------------- task A ----------------
task_a:
    CHECK_TS "JMP to task A: CR0.TS not set"
    str ecx
    CHECK32 ecx, SEL_TSSA, "JMP to task A: TR"
    mov ecx, dr7
    and ecx, 0x1ff
    CHECK32 ecx, 0x08, "JMP to task A: DR7 L0 not cleared, or G1 cleared"
    xor ecx, ecx
    mov dr7, ecx
    CHECK32 eax, 0xa1a1a1a1, "JMP to task A: EAX not loaded from the TSS"
    CHECK32 esp, STACKA, "JMP to task A: ESP not loaded from the TSS"
    mov ecx, cs
    CHECK32 ecx, SEL_KCODE, "JMP to task A: CS"
    mov ecx, ds
    CHECK32 ecx, SEL_KDATA, "JMP to task A: DS"
    pushfd
    pop ecx
    and ecx, EFL_NT
    CHECK32 ecx, 0, "JMP to task A: NT must be clear"
    CHECK32 TYPEBYTE(SEL_TSS0), 0x89, "JMP to task A: TSS0 still busy"
    CHECK32 TYPEBYTE(SEL_TSSA), 0x8b, "JMP to task A: TSS A not busy"
    CHECK32 word [TSSA + T_LINK], 0x7777, "JMP to task A: back link written"
    sldt ecx
    CHECK32 ecx, SEL_LDTA, "JMP to task A: LDTR not loaded from the TSS"
    mov cx, LSEL_A
    mov fs, cx
    CHECK32 dword [fs:0x20], 0x1d7a1d7a, "task A: segment from its LDT"
    mov cx, SEL_KDATA
    mov fs, cx
    CHECK32 dword [TSS0_BASE + T_EIP], ROMBASE + after_jmp1, "TSS0: saved EIP"
    CHECK32 dword [TSS0_BASE + T_EBX], 0x1234abcd, "TSS0: saved EBX"
    CHECK32 dword [TSS0_BASE + T_ESI], 0x5678ef01, "TSS0: saved ESI"
    mov ecx, [V_TMP + 0x10]
    CHECK32 [TSS0_BASE + T_ESP], ecx, "TSS0: saved ESP"
    CHECK32 word [TSS0_BASE + T_CS], SEL_KCODE, "TSS0: saved CS"
    CHECK32 word [TSS0_BASE + T_SS], SEL_KDATA, "TSS0: saved SS"
    CHECK32 word [TSS0_BASE + T_DS], SEL_KDATA, "TSS0: saved DS"
    CHECK32 word [TSS0_BASE + T_GS], SEL_KDATA, "TSS0: saved GS"
    mov ecx, [TSS0_BASE + T_EFL]
    and ecx, 0x4202
    CHECK32 ecx, 2, "TSS0: saved EFLAGS"

    ; CALL through the task gate to task B
    mov dword [RUNS_B], 0
    mov ebx, 0xfeedface
    mov edi, esp
    call SEL_TGATE:0
after_call1:
    CHECK32 dword [RUNS_B], 1, "CALL task gate: task B did not run"
    CHECK_TS "IRET back to task A: CR0.TS not set"
    CHECK32 ebx, 0xfeedface, "IRET back to task A: EBX not restored"
    CHECK32 esp, edi, "IRET back to task A: ESP not restored"
    str ecx
    CHECK32 ecx, SEL_TSSA, "IRET back to task A: TR"
    pushfd
    pop ecx
    and ecx, EFL_NT
    CHECK32 ecx, 0, "IRET back to task A: NT must be clear"
    CHECK32 TYPEBYTE(SEL_TSSB), 0x89, "IRET back: task B's busy bit not cleared"
    CHECK32 TYPEBYTE(SEL_TSSA), 0x8b, "IRET back: task A not busy"
    CHECK32 dword [TSSB + T_EIP], ROMBASE + b_after_iret, "TSS B: saved EIP after IRET"
    mov ecx, [TSSB + T_EFL]
    and ecx, EFL_NT
    CHECK32 ecx, 0, "TSS B: NT in the EFLAGS saved by IRET must be clear"
    CHECK32 dword [TSSB + T_EAX], 0xb0b0b0b0, "TSS B: saved EAX"
    CHECK32 dword [TSSA + T_EIP], ROMBASE + after_call1, "TSS A: saved EIP at the CALL"

    ; call task B again: it resumes after its IRET
    call SEL_TGATE:0
    CHECK32 dword [RUNS_B], 2, "second CALL: task B did not resume"
    CHECK_TS "second IRET back to task A: CR0.TS not set"
    CHECK32 TYPEBYTE(SEL_TSSB), 0x89, "second IRET: task B's busy bit not cleared"

    ; back to the first task
    jmp SEL_TSS0:0
after_jmp2:
    FAIL32 "task A resumed after its JMP to TSS0"

; ---------------- task B ----------------
task_b:
    CHECK_TS "CALL to task B: CR0.TS not set"
    CHECK32 eax, 0xb2b2b2b2, "CALL to task B: EAX not loaded from the TSS"
    CHECK32 esp, STACKB, "CALL to task B: ESP not loaded from the TSS"
    str ecx
    CHECK32 ecx, SEL_TSSB, "CALL to task B: TR"
    pushfd
    pop ecx
    and ecx, EFL_NT
    CHECK32 ecx, EFL_NT, "CALL to task B: NT not set"
    CHECK32 word [TSSB + T_LINK], SEL_TSSA, "CALL to task B: back link is not task A"
    CHECK32 TYPEBYTE(SEL_TSSB), 0x8b, "CALL to task B: TSS B not busy"
    CHECK32 TYPEBYTE(SEL_TSSA), 0x8b, "CALL to task B: task A must stay busy"
    CHECK32 dword [TSSA + T_EIP], ROMBASE + after_call1, "CALL to task B: TSS A saved EIP"
    CHECK32 dword [TSSA + T_EBX], 0xfeedface, "CALL to task B: TSS A saved EBX"
    ; switches to busy tasks: #GP(selector), handled inside task B (the
    ; interrupt gate clears NT, so the handler's IRET is not a task return)
    ARM b_busy1
b_busy1i:
    jmp SEL_TSSA:0
    FAIL32 "JMP to the busy task A did not fault"
b_busy1:
    EXPECT 13, SEL_TSSA, b_busy1i, "JMP to the busy task A"
    ARM b_busy2
b_busy2i:
    call SEL_TSSB:0
    FAIL32 "CALL to the current task did not fault"
b_busy2:
    EXPECT 13, SEL_TSSB, b_busy2i, "CALL to the current task"
    pushfd
    pop ecx
    and ecx, EFL_NT
    CHECK32 ecx, EFL_NT, "task B: NT lost across an exception handler"
    str ecx
    CHECK32 ecx, SEL_TSSB, "task B: TR changed by a faulting task switch"
    mov dword [RUNS_B], 1
    mov eax, 0xb0b0b0b0
    iretd
b_after_iret:
    ; second CALL
    CHECK_TS "second CALL to task B: CR0.TS not set"
    CHECK32 eax, 0xb0b0b0b0, "second CALL to task B: EAX not resumed"
    pushfd
    pop ecx
    and ecx, EFL_NT
    CHECK32 ecx, EFL_NT, "second CALL to task B: NT not set"
    mov dword [RUNS_B], 2
    iretd
    FAIL32 "task B ran a third time"

; ---------------- the double-fault task ----------------
task_d:
    inc dword [V_TMP + 0x20]
    CHECK32 eax, 0xd4d4d4d4, "#DF task: EAX not loaded from its TSS"
    CHECK32 esp, STACKD - 4, "#DF task: the error code was not pushed on its stack"
    CHECK32 dword [esp], 0, "#DF task: error code is not 0"
    str ecx
    CHECK32 ecx, SEL_TSSD, "#DF task: TR"
    pushfd
    pop ecx
    and ecx, EFL_NT
    CHECK32 ecx, EFL_NT, "#DF task: NT not set"
    CHECK32 word [TSSD + T_LINK], SEL_TSS0, "#DF task: back link is not TSS0"
    CHECK32 TYPEBYTE(SEL_TSSD), 0x8b, "#DF task: not busy"
    CHECK32 TYPEBYTE(SEL_TSS0), 0x8b, "#DF task: TSS0 must stay busy"
    CHECK32 dword [TSS0_BASE + T_EBX], 0x600d600d, "#DF task: TSS0 saved EBX"
    CHECK32 word [TSS0_BASE + T_DS], SEL_KDATA, "#DF task: TSS0 saved DS (the load must not have happened)"
    CHECK32 word [TSS0_BASE + T_CS], SEL_KCODE, "#DF task: TSS0 saved CS"
    ; the saved EIP of an abort is undefined: resume the first task at
    ; after_df, with the #GP gate present again
    or byte [IDT_BASE + 13 * 8 + 5], 0x80
    mov dword [TSS0_BASE + T_EIP], ROMBASE + after_df
    add esp, 4
    iretd
    FAIL32 "#DF task resumed after its IRET"

    bits 16
ROM_END
