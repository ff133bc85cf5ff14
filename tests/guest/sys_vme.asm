; Virtual-8086 mode extensions and protected-mode virtual interrupts (SDM
; Vol. 3A §20.3, §20.4; Table 20-2). A second TSS (TSS1) in RAM carries an
; interrupt redirection bitmap (32 bytes below its I/O map base; only the
; bits of vectors 0x60 and 0x67 are clear) and an I/O bitmap that denies
; port 0x80. The V86 code runs at 0800:xxxx; OUT 0x80 is its way to trap to
; the ring-0 monitor (#GP), which logs every trap (error code, CS:EIP,
; EFLAGS, SS:ESP, opcode) for the checks made back at ring 0, and FAILs at
; once on a trap that must not happen.
;
; 1. CR4.VME=0, IOPL 0: CLI, STI, PUSHF and INT 0x60 (redirection bit
;    clear) trap with #GP(0) as on a 386.
; 2. CR4.PVI=0: CLI and STI at CPL 3, IOPL 0 raise #GP(0).
; 3. CPUID.1:EDX.VME is set. Under QEMU 7.2 it is clear: its TCG implements
;    neither VME nor PVI (CLI in V86 at IOPL 0 traps with CR4.VME=1), so
;    there, and only when CPUID says so, the rest is skipped.
; 4. CR4.VME=1, V86 at IOPL 0: CLI and STI clear and set VIF (IF kept);
;    PUSHF pushes VIF as IF and IOPL as 3; PUSHFD and POPFD raise #GP(0);
;    POPF loads VIF from the popped IF and keeps IOPL; POPF and IRET with
;    TF in the popped image raise #GP(0); INT 0x60 and INT 0x67 (bits 0 and
;    7 of byte 12 of the redirection bitmap clear) go through the V86
;    task's vector table at linear 0 (FLAGS pushed with IF = VIF and IOPL
;    3, VIF then clear, IF kept), the handler's 16-bit IRET does not trap
;    and VIF follows the popped IF; INT 0x61 (bit set) raises #GP(0); with
;    VIP set by the monitor, CLI and POPF/IRET of IF 0 do not trap, STI and
;    POPF/IRET of IF 1 raise #GP(0).
; 5. CR4.VME=1, V86 at IOPL 3: CLI changes IF, not VIF; INT 0x60 goes to
;    the V86 vector table with FLAGS as they are and IF cleared; INT 0x61
;    (bit set) goes through its DPL-3 IDT gate.
; 6. CR4.PVI=1, CPL 3, IOPL 0: CLI and STI change VIF only (seen through
;    PUSHFD and the EFLAGS pushed by INT 0x31); POPFD changes neither IF
;    nor VIF; with VIP=1 CLI runs and STI raises #GP(0); at IOPL 3 CLI
;    clears IF and leaves VIF.
%include "sys.inc"
ROM_BEGIN
SYS_CODE

%define V86_SEG    0x0800       ; V86 code copied to 0x8000, CS = 0x0800
%define V86_LIN    0x8000
%define V86_SS     0x0600
%define V86_SP     0x0800

%define TSS1_BASE  0x4000
%define TSS1_IRB   0x68         ; interrupt redirection bitmap, 32 bytes
%define TSS1_IOMAP 0x88         ; I/O bitmap base (ports 0..255)
%define TSS1_LIMIT 0xa8         ; the terminating 0xff byte
%define SEL_TSS1   0x30

%define EFL_CF     0x1
%define EFL_TF     0x100
%define EFL_IOPL   0x3000
%define EFL_VIF    0x80000
%define EFL_VIP    0x100000
%define CR4_VME_BITS 1

; the monitor's trap log: 32-byte entries
%define LOG        0xa000
%define LOG_MAX    48
%define L_ERR      0
%define L_EIP      4
%define L_CS       8
%define L_EFL      12
%define L_ESP      16
%define L_SS       20
%define L_OP       24

; ring-0 variables
%define LOG_CNT    V_TMP + 0x00
%define M_VME      V_TMP + 0x04 ; 1: a CLI/PUSHF/... trap is a failure
%define M_EXIT     V_TMP + 0x08 ; where leaving V86 continues
%define HAS_VME    V_TMP + 0x0c ; CPUID.1:EDX.VME
%define R61_CNT    V_TMP + 0x10 ; INT 0x61 through its IDT gate (IOPL 3)
%define R61_EIP    V_TMP + 0x14
%define R61_CS     V_TMP + 0x18
%define R61_EFL    V_TMP + 0x1c
%define R31_EFL    V_TMP + 0x20 ; EFLAGS pushed by INT 0x31 from ring 3

; results written by the V86 code (DS = 0) and the ring-3 code
%define RES        0x7000
%define R_HMODE    RES + 0x00   ; V86 handler: 1 sets, 2 clears the stacked IF
%define R_HCNT     RES + 0x02   ; V86 handler runs
%define R_BAD      RES + 0x04   ; runs of the vector-table entries never to be used
%define R_PF1      RES + 0x06   ; PUSHF with VIF 1
%define R_PF0      RES + 0x08   ; PUSHF with VIF 0
%define R_SP_PF    RES + 0x0a   ; SP after PUSHF
%define R_SP_PFD   RES + 0x0c   ; SP after the trapped PUSHFD
%define R_SP_POPF  RES + 0x0e   ; SP after POPF
%define R_SP_I1    RES + 0x10   ; SP after INT 0x60 and the handler's IRET
%define R_SP_IRET  RES + 0x12   ; SP after the retried IRET
%define R_PF3      RES + 0x14   ; PUSHF at IOPL 3
%define R_HLOG     RES + 0x40   ; V86 handler log, 16-byte entries
%define H_SP       0            ; SP on entry
%define H_IP       2            ; the stacked IP, CS, FLAGS
%define H_CS       4
%define H_FL       6
%define H_PF       8            ; PUSHF inside the handler
%define P0_F       RES + 0x100  ; ring 3: PUSHFD images
%define P1_F0      RES + 0x104
%define P1_F1      RES + 0x108
%define P1_F2      RES + 0x10c
%define P1_F3      RES + 0x110
%define P2_F       RES + 0x114
%define P3_F       RES + 0x118

; IP of a label of the V86 block
%define IPOF(l) ((l) - v86_block)

    align 8
gdt_template:
    GDT_COMMON
    DESC TSS1_BASE, TSS1_LIMIT, ACC_TSS32, 0    ; 0x30
gdt_template_end:

; CHECK_TRAP n, label, "what": log entry n is #GP(0) from V86 at label
%macro CHECK_TRAP 3
    CHECK32 dword [LOG + (%1) * 32 + L_EIP], IPOF(%2), %strcat(%3, ": no #GP there (saved EIP)")
    CHECK32 dword [LOG + (%1) * 32 + L_CS], V86_SEG, %strcat(%3, ": saved CS")
    CHECK32 dword [LOG + (%1) * 32 + L_ERR], 0, %strcat(%3, ": error code is not 0")
    mov eax, [LOG + (%1) * 32 + L_EFL]
    and eax, EFL_VM
    CHECK32 eax, EFL_VM, %strcat(%3, ": VM clear in the saved EFLAGS")
%endmacro

; CHECK_EFL n, mask, value, "message": (saved EFLAGS of entry n & mask) == value
%macro CHECK_EFL 4
    mov eax, [LOG + (%1) * 32 + L_EFL]
    and eax, %2
    CHECK32 eax, %3, %4
%endmacro

; CHECK_W addr, mask, value, "message" for a word of the results
%macro CHECK_W 4
    movzx eax, word [%1]
    and eax, %2
    CHECK32 eax, %3, %4
%endmacro

; CHECK_D addr, mask, value, "message" for a dword
%macro CHECK_D 4
    mov eax, [%1]
    and eax, %2
    CHECK32 eax, %3, %4
%endmacro

; V86_RUN start, eflags, continuation: IRETD into the V86 code at start
; (SS:SP = V86_SS:V86_SP, DS ES FS GS = 0); leaving V86 continues at the
; continuation at ring 0.
%macro V86_RUN 3
    mov dword [LOG_CNT], 0
    mov word [R_HCNT], 0
    mov word [R_HMODE], 0
    mov dword [M_EXIT], ROMBASE + %3
    mov [V_KESP], esp
    push dword 0
    push dword 0
    push dword 0
    push dword 0
    push dword V86_SS
    push dword V86_SP
    push dword EFL_VM | (%2)
    push dword V86_SEG
    push dword IPOF(%1)
    iretd
%endmacro

; NOFAULT "message", instruction: the instruction raises no exception
%macro NOFAULT 2
    ARM %%fault
    %2
    mov dword [ss:V_RESUME], 0
    jmp %%ok
%%fault:
    FAIL32 %1
%%ok:
%endmacro

; in the monitor: print the message and the V86 IP of the trap, FAIL
%macro MON_FAIL 1
    PUTSN32 %1
    PUTSN32 " at IP "
    mov eax, [esp + 20]
    call sys_hex32
    FAIL32 ""
%endmacro

    bits 32
main:
    ; CPUID.1:EDX bit 1
    mov eax, 1
    cpuid
    shr edx, 1
    and edx, 1
    mov [HAS_VME], edx
    jnz .cpuid_ok
    QEMU_SKIP .cpuid_ok, "CPUID.1:EDX.VME is 0: QEMU's TCG implements neither CR4.VME nor CR4.PVI, the VME and PVI checks are left out"
    FAIL32 "CPUID.1:EDX bit 1 (VME) is clear"
.cpuid_ok:
    ; results, vector table entries
    mov edi, RES
    mov ecx, 0x200
    xor eax, eax
    rep stosb
    mov dword [0x60 * 4], (V86_SEG << 16) | IPOF(rm_handler)
    mov dword [0x67 * 4], (V86_SEG << 16) | IPOF(rm_handler)
    mov dword [0x61 * 4], (V86_SEG << 16) | IPOF(rm_bad)
    mov dword [0x20 * 4], (V86_SEG << 16) | IPOF(rm_bad)
    ; TSS1: ring-0 stack, redirection bitmap, I/O bitmap
    mov edi, TSS1_BASE
    mov ecx, TSS1_LIMIT + 1
    xor eax, eax
    rep stosb
    mov dword [TSS1_BASE + 4], STACK0_TSS
    mov dword [TSS1_BASE + 8], SEL_KDATA
    mov word [TSS1_BASE + 0x66], TSS1_IOMAP
    mov edi, TSS1_BASE + TSS1_IRB
    mov ecx, 32
    mov al, 0xff
    rep stosb
    mov byte [TSS1_BASE + TSS1_IRB + 0x60 / 8], 0x7e    ; vectors 0x60 and 0x67 clear
    mov byte [TSS1_BASE + TSS1_IOMAP + 0x80 / 8], 1     ; port 0x80 denied
    mov byte [TSS1_BASE + TSS1_LIMIT], 0xff
    mov ax, SEL_TSS1
    ltr ax
    ; gates
    SET_GATE 13, ROMBASE + monitor_gp, SEL_KCODE, GATE_INT0
    SET_GATE 0x20, ROMBASE + v86_exit_gate, SEL_KCODE, GATE_INT3
    SET_GATE 0x61, ROMBASE + int61_rec, SEL_KCODE, GATE_INT3
    SET_GATE 0x31, ROMBASE + ring0_rec, SEL_KCODE, GATE_INT3
    ; the V86 code
    mov esi, ROMBASE + v86_block
    mov edi, V86_LIN
    mov ecx, v86_end - v86_block
    rep movsb

    ; ---------------- 1. CR4.VME = 0: the 386 behaviour ----------------
    xor eax, eax
    mov cr4, eax
    mov dword [M_VME], 0
    V86_RUN vb_start, 0x202, pass1_done
pass1_done:
    CHECK_TRAP 0, vb_cli, "VME=0: CLI in V86 at IOPL 0"
    CHECK_TRAP 1, vb_sti, "VME=0: STI in V86 at IOPL 0"
    CHECK_TRAP 2, vb_pushf, "VME=0: PUSHF in V86 at IOPL 0"
    CHECK_TRAP 3, vb_int60, "VME=0: INT 0x60 in V86 at IOPL 0 (redirection bit clear)"
    CHECK_TRAP 4, vb_exit, "VME=0: INT 0x20 in V86 at IOPL 0"
    CHECK32 dword [LOG_CNT], 5, "VME=0: wrong number of V86 traps"
    CHECK32 word [R_HCNT], 0, "VME=0: INT 0x60 reached the V86 vector table"

    ; ---------------- 2. CR4.PVI = 0 at CPL 3 ----------------
    mov eax, [HAS_VME]              ; CR4.VME where there is VME, PVI 0
    mov cr4, eax
    TO_RING3 p0_r3, 0x202
p0_back:
    CHECK_D P0_F, EFL_IF | EFL_VIF, EFL_IF, "PVI=0: CLI/STI at CPL 3 (faulting) changed IF or VIF"

    cmp dword [HAS_VME], 0
    jne vme_tests
    PUTS32 "sys_vme: the checks that need no VME passed"
    PASS

vme_tests:
    ; ---------------- 4. CR4.VME = 1, V86 at IOPL 0 ----------------
    mov eax, CR4_VME_BITS
    mov cr4, eax
    mov eax, cr4
    and eax, 1
    CHECK32 eax, 1, "CR4.VME does not read back as set"
    mov dword [M_VME], 1
    V86_RUN vm_start, EFL_VIF | 0x202, pass2_done
pass2_done:
    PUTS32 "back from V86 with VME at IOPL 0"
    CHECK_TRAP 0, vm_t0, "VME: the first OUT 0x80"
    CHECK_EFL 0, EFL_VIF | EFL_VIP | EFL_IF | EFL_IOPL, EFL_VIF | EFL_IF, "VME: EFLAGS at the first trap: VIF 1, VIP 0, IF 1, IOPL 0 expected (from IRETD)"
    CHECK_TRAP 1, vm_t1, "VME: OUT 0x80 after CLI"
    CHECK_EFL 1, EFL_VIF, 0, "VME: CLI at IOPL 0 did not clear VIF"
    CHECK_EFL 1, EFL_IF, EFL_IF, "VME: CLI at IOPL 0 cleared IF"
    CHECK_TRAP 2, vm_t2, "VME: OUT 0x80 after STI"
    CHECK_EFL 2, EFL_VIF, EFL_VIF, "VME: STI at IOPL 0 did not set VIF"
    CHECK_EFL 2, EFL_IF, EFL_IF, "VME: STI at IOPL 0 changed IF"
    CHECK_W R_PF1, EFL_IF, EFL_IF, "VME: PUSHF with VIF 1 did not push IF 1"
    CHECK_W R_PF1, EFL_IOPL, EFL_IOPL, "VME: PUSHF (VIF 1) did not push IOPL 3"
    CHECK_W R_PF1, EFL_CF, EFL_CF, "VME: PUSHF did not push CF 1"
    CHECK32 word [R_SP_PF], V86_SP - 2, "VME: PUSHF did not push 2 bytes"
    CHECK_W R_PF0, EFL_IF, 0, "VME: PUSHF with VIF 0 (IF 1) did not push IF 0"
    CHECK_W R_PF0, EFL_IOPL, EFL_IOPL, "VME: PUSHF (VIF 0) did not push IOPL 3"
    CHECK_W R_PF0, EFL_CF, 0, "VME: PUSHF did not push CF 0"
    CHECK_TRAP 3, vm_pushfd, "VME: PUSHFD (66 9C) at IOPL 0"
    CHECK32 word [R_SP_PFD], V86_SP, "VME: the faulting PUSHFD changed SP"
    CHECK_TRAP 4, vm_t4, "VME: OUT 0x80 after POPF of 0x3201"
    CHECK_EFL 4, EFL_VIF, EFL_VIF, "VME: POPF of IF 1 did not set VIF"
    CHECK_EFL 4, EFL_IOPL, 0, "VME: POPF of IOPL 3 changed IOPL"
    CHECK_EFL 4, EFL_CF, EFL_CF, "VME: POPF of CF 1 did not set CF"
    CHECK_EFL 4, EFL_IF, EFL_IF, "VME: POPF of IF 1 changed IF"
    CHECK32 word [R_SP_POPF], V86_SP, "VME: POPF did not pop 2 bytes"
    CHECK_TRAP 5, vm_t5, "VME: OUT 0x80 after POPF of 0"
    CHECK_EFL 5, EFL_VIF, 0, "VME: POPF of IF 0 did not clear VIF"
    CHECK_EFL 5, EFL_IF, EFL_IF, "VME: POPF of IF 0 cleared IF"
    CHECK_EFL 5, EFL_CF, 0, "VME: POPF of CF 0 did not clear CF"
    CHECK_TRAP 6, vm_popf_tf, "VME: POPF of a value with TF 1"
    CHECK32 dword [LOG + 6 * 32 + L_ESP], V86_SP - 2, "VME: POPF with TF 1: saved ESP (nothing may be popped)"
    CHECK_EFL 6, EFL_TF | EFL_VIF, 0, "VME: POPF with TF 1: TF or VIF changed before the fault"
    CHECK_TRAP 7, vm_t7, "VME: OUT 0x80 after the retried POPF"
    CHECK_EFL 7, EFL_VIF | EFL_TF | EFL_CF, EFL_VIF | EFL_CF, "VME: the POPF retried without TF: VIF 1, TF 0, CF 1 expected"
    CHECK_TRAP 8, vm_popfd, "VME: POPFD (66 9D) at IOPL 0"
    CHECK32 dword [LOG + 8 * 32 + L_ESP], V86_SP - 4, "VME: POPFD: saved ESP (nothing may be popped)"
    ; INT 0x60 through the V86 vector table with VIF 1
    CHECK_TRAP 9, rm_out, "VME: INT 0x60 (VIF 1): the V86 handler's OUT 0x80"
    CHECK32 dword [LOG + 9 * 32 + L_ESP], V86_SP - 12, "VME: INT 0x60 (VIF 1): the handler's stack"
    CHECK_EFL 9, EFL_VIF, 0, "VME: INT 0x60 through the V86 vector table did not clear VIF"
    CHECK_EFL 9, EFL_IF, EFL_IF, "VME: INT 0x60 through the V86 vector table cleared IF"
    CHECK_EFL 9, EFL_IOPL, 0, "VME: INT 0x60 through the V86 vector table changed IOPL"
    CHECK32 word [R_HLOG + 0 * 16 + H_IP], IPOF(vm_int1_ret), "VME: INT 0x60 (VIF 1): stacked IP"
    CHECK32 word [R_HLOG + 0 * 16 + H_CS], V86_SEG, "VME: INT 0x60 (VIF 1): stacked CS"
    CHECK32 word [R_HLOG + 0 * 16 + H_SP], V86_SP - 6, "VME: INT 0x60 (VIF 1): SP on entry"
    CHECK_W R_HLOG + 0 * 16 + H_FL, EFL_IF, EFL_IF, "VME: INT 0x60 with VIF 1: stacked FLAGS.IF is not 1"
    CHECK_W R_HLOG + 0 * 16 + H_FL, EFL_IOPL, EFL_IOPL, "VME: INT 0x60 (VIF 1): stacked FLAGS.IOPL is not 3"
    CHECK_W R_HLOG + 0 * 16 + H_PF, EFL_IF, 0, "VME: PUSHF in the INT 0x60 handler: IF (= VIF) is not 0"
    CHECK_TRAP 10, vm_t10, "VME: OUT 0x80 after the first handler's IRET"
    CHECK_EFL 10, EFL_VIF, EFL_VIF, "VME: IRET of IF 1 (handler entered with VIF 1) did not set VIF"
    CHECK_EFL 10, EFL_IOPL, 0, "VME: IRET of FLAGS with IOPL 3 changed IOPL"
    CHECK32 word [R_SP_I1], V86_SP, "VME: INT 0x60 and the handler's IRET did not balance SP"
    ; with VIF 0, the handler sets the stacked IF
    CHECK_TRAP 11, rm_out, "VME: INT 0x60 (VIF 0): the V86 handler's OUT 0x80"
    CHECK_EFL 11, EFL_VIF | EFL_IF, EFL_IF, "VME: in the INT 0x60 handler entered with VIF 0: VIF 0, IF 1 expected"
    CHECK32 word [R_HLOG + 1 * 16 + H_IP], IPOF(vm_int2_ret), "VME: INT 0x60 (VIF 0): stacked IP"
    CHECK_W R_HLOG + 1 * 16 + H_FL, EFL_IF, 0, "VME: INT 0x60 with VIF 0: stacked FLAGS.IF is not 0"
    CHECK_W R_HLOG + 1 * 16 + H_FL, EFL_IOPL, EFL_IOPL, "VME: INT 0x60 (VIF 0): stacked FLAGS.IOPL is not 3"
    CHECK_TRAP 12, vm_t12, "VME: OUT 0x80 after an IRET of IF 1 set by the handler"
    CHECK_EFL 12, EFL_VIF, EFL_VIF, "VME: IRET of IF 1 (handler entered with VIF 0) did not set VIF"
    ; INT 0x67 (bit 7 of the same byte), the handler clears the stacked IF
    CHECK_TRAP 13, rm_out, "VME: INT 0x67: the V86 handler's OUT 0x80"
    CHECK32 word [R_HLOG + 2 * 16 + H_IP], IPOF(vm_int3_ret), "VME: INT 0x67: stacked IP"
    CHECK_W R_HLOG + 2 * 16 + H_FL, EFL_IF, EFL_IF, "VME: INT 0x67 with VIF 1: stacked FLAGS.IF is not 1"
    CHECK_TRAP 14, vm_t14, "VME: OUT 0x80 after an IRET of IF 0 set by the handler"
    CHECK_EFL 14, EFL_VIF | EFL_IF, EFL_IF, "VME: IRET of IF 0: VIF 0 and IF 1 expected"
    CHECK32 word [R_HCNT], 3, "VME: the V86 handler did not run 3 times"
    ; INT n with its redirection bit set
    CHECK_TRAP 15, vm_int61, "VME: INT 0x61 (redirection bit set) at IOPL 0"
    CHECK32 word [R_BAD], 0, "VME: INT 0x61 (redirection bit set) reached the V86 vector table"
    ; IRET with TF in the popped FLAGS
    CHECK_TRAP 16, vm_iret_tf, "VME: IRET of FLAGS with TF 1"
    CHECK32 dword [LOG + 16 * 32 + L_ESP], V86_SP - 6, "VME: IRET with TF 1: saved ESP (nothing may be popped)"
    CHECK_TRAP 17, vm_t17, "VME: OUT 0x80 after the retried IRET"
    CHECK_EFL 17, EFL_VIF | EFL_TF | EFL_CF, EFL_VIF | EFL_CF, "VME: the IRET retried without TF: VIF 1, TF 0, CF 1 expected"
    CHECK32 word [R_SP_IRET], V86_SP, "VME: the retried IRET did not pop 6 bytes"
    ; VIP
    CHECK_TRAP 18, vm_t18, "VME: OUT 0x80 asking for VIP"
    CHECK_EFL 18, EFL_VIF | EFL_VIP, 0, "VME: before VIP: VIF 0, VIP 0 expected"
    CHECK_TRAP 19, vm_t19, "VME: OUT 0x80 after CLI and POPF of IF 0 with VIP 1"
    CHECK_EFL 19, EFL_VIF | EFL_VIP, EFL_VIP, "VME: CLI/POPF of IF 0 with VIP 1: VIF 0, VIP 1 expected"
    CHECK_TRAP 20, vm_sti_vip, "VME: STI with VIP 1"
    CHECK_EFL 20, EFL_VIF | EFL_VIP, EFL_VIP, "VME: STI with VIP 1: VIF changed before the fault"
    CHECK_TRAP 21, vm_t21, "VME: OUT 0x80 after the retried STI"
    CHECK_EFL 21, EFL_VIF | EFL_VIP, EFL_VIF, "VME: the STI retried after VIP was cleared: VIF 1, VIP 0 expected"
    CHECK_TRAP 22, vm_t22, "VME: second OUT 0x80 asking for VIP"
    CHECK_TRAP 23, vm_popf_vip, "VME: POPF of IF 1 with VIP 1"
    CHECK32 dword [LOG + 23 * 32 + L_ESP], V86_SP - 2, "VME: POPF of IF 1 with VIP 1: saved ESP"
    CHECK_EFL 23, EFL_VIF | EFL_VIP, EFL_VIP, "VME: POPF of IF 1 with VIP 1: VIF changed before the fault"
    CHECK_TRAP 24, vm_t24, "VME: OUT 0x80 after the retried POPF of IF 1"
    CHECK_EFL 24, EFL_VIF | EFL_VIP, EFL_VIF, "VME: the POPF retried after VIP was cleared: VIF 1, VIP 0 expected"
    CHECK32 dword [LOG + 24 * 32 + L_ESP], V86_SP, "VME: the retried POPF of IF 1 did not pop 2 bytes"
    CHECK_TRAP 25, vm_t25, "VME: third OUT 0x80 asking for VIP"
    CHECK_TRAP 26, vm_iret_vip, "VME: IRET of IF 1 with VIP 1"
    CHECK32 dword [LOG + 26 * 32 + L_ESP], V86_SP - 6, "VME: IRET of IF 1 with VIP 1: saved ESP"
    CHECK_EFL 26, EFL_VIF | EFL_VIP, EFL_VIP, "VME: IRET of IF 0 with VIP 1 changed VIF, or IRET of IF 1 did before the fault"
    CHECK_TRAP 27, vm_t27, "VME: OUT 0x80 after the retried IRET of IF 1"
    CHECK_EFL 27, EFL_VIF | EFL_VIP, EFL_VIF, "VME: the IRET retried after VIP was cleared: VIF 1, VIP 0 expected"
    CHECK32 dword [LOG + 27 * 32 + L_ESP], V86_SP, "VME: the retried IRET of IF 1 did not pop 6 bytes"
    CHECK_TRAP 28, vm_exit, "VME: INT 0x20 (redirection bit set) at IOPL 0"
    CHECK32 dword [LOG_CNT], 29, "VME: wrong number of V86 traps at IOPL 0"

    ; ---------------- 5. CR4.VME = 1, V86 at IOPL 3 ----------------
    mov dword [R61_CNT], 0
    V86_RUN v3_start, EFL_VIF | 0x3202, pass3_done
pass3_done:
    PUTS32 "back from V86 with VME at IOPL 3"
    CHECK_TRAP 0, v3_t0, "VME, IOPL 3: OUT 0x80 after CLI"
    CHECK_EFL 0, EFL_IF, 0, "VME, IOPL 3: CLI did not clear IF"
    CHECK_EFL 0, EFL_VIF, EFL_VIF, "VME, IOPL 3: CLI changed VIF"
    CHECK_EFL 0, EFL_IOPL, EFL_IOPL, "VME, IOPL 3: IOPL is not 3"
    CHECK_W R_PF3, EFL_IF | EFL_IOPL, EFL_IF | EFL_IOPL, "VME, IOPL 3: PUSHF after STI: IF 1, IOPL 3 expected"
    CHECK_TRAP 1, rm_out, "VME, IOPL 3: INT 0x60: the V86 handler's OUT 0x80"
    CHECK_EFL 1, EFL_IF, 0, "VME, IOPL 3: INT 0x60 through the V86 vector table did not clear IF"
    CHECK_EFL 1, EFL_VIF, EFL_VIF, "VME, IOPL 3: INT 0x60 through the V86 vector table changed VIF"
    CHECK32 word [R_HCNT], 1, "VME, IOPL 3: INT 0x60 did not run the V86 handler once"
    CHECK32 word [R_HLOG + H_IP], IPOF(v3_int60_ret), "VME, IOPL 3: INT 0x60: stacked IP"
    CHECK_W R_HLOG + H_FL, EFL_IF | EFL_IOPL, EFL_IF | EFL_IOPL, "VME, IOPL 3: INT 0x60: stacked FLAGS: IF 1, IOPL 3 expected"
    CHECK_W R_HLOG + H_PF, EFL_IF, 0, "VME, IOPL 3: PUSHF in the INT 0x60 handler: IF is not 0"
    CHECK_TRAP 2, v3_t2, "VME, IOPL 3: OUT 0x80 after the handler's IRET"
    CHECK_EFL 2, EFL_IF | EFL_VIF, EFL_IF | EFL_VIF, "VME, IOPL 3: after the handler's IRET: IF 1, VIF 1 expected"
    CHECK32 dword [LOG_CNT], 3, "VME, IOPL 3: wrong number of V86 traps"
    CHECK32 dword [R61_CNT], 1, "VME, IOPL 3: INT 0x61 (redirection bit set) did not reach its IDT gate once"
    CHECK32 dword [R61_EIP], IPOF(v3_int61_ret), "VME, IOPL 3: INT 0x61 through the IDT: saved EIP"
    CHECK32 dword [R61_CS], V86_SEG, "VME, IOPL 3: INT 0x61 through the IDT: saved CS"
    CHECK_D R61_EFL, EFL_VM | EFL_IOPL, EFL_VM | EFL_IOPL, "VME, IOPL 3: INT 0x61 through the IDT: saved EFLAGS: VM, IOPL 3 expected"
    CHECK32 word [R_BAD], 0, "VME, IOPL 3: INT 0x61 or INT 0x20 reached the V86 vector table"

    ; ---------------- 6. CR4.PVI = 1 at CPL 3 ----------------
    mov eax, CR4_VME_BITS | 2
    mov cr4, eax
    mov eax, cr4
    and eax, 3
    CHECK32 eax, 3, "CR4.VME and CR4.PVI do not read back as set"
    TO_RING3 p1_r3, 0x202           ; IOPL 0, VIF 0
p1_back:
    CHECK_D P1_F0, EFL_IF | EFL_VIF, EFL_IF, "PVI: at CPL 3 on entry: IF 1, VIF 0 expected"
    CHECK_D P1_F1, EFL_VIF, EFL_VIF, "PVI: STI at CPL 3, IOPL 0 did not set VIF"
    CHECK_D P1_F1, EFL_IF, EFL_IF, "PVI: STI at CPL 3, IOPL 0 changed IF"
    CHECK_D P1_F2, EFL_VIF, 0, "PVI: CLI at CPL 3, IOPL 0 did not clear VIF"
    CHECK_D P1_F2, EFL_IF, EFL_IF, "PVI: CLI at CPL 3, IOPL 0 cleared IF"
    CHECK_D P1_F3, EFL_IF | EFL_VIF, EFL_IF | EFL_VIF, "PVI: POPFD of IF 0, VIF 0 at CPL 3 changed IF or VIF"
    CHECK_D R31_EFL, EFL_IF | EFL_VIF, EFL_IF | EFL_VIF, "PVI: EFLAGS pushed by INT 0x31 after STI: IF 1, VIF 1 expected"
    TO_RING3 p2_r3, EFL_VIP | 0x202 ; IOPL 0, VIF 0, VIP 1
p2_back:
    CHECK_D V_EFL, EFL_VIF | EFL_VIP | EFL_IF, EFL_VIP | EFL_IF, "PVI: STI with VIP 1: saved EFLAGS: VIP 1, VIF 0, IF 1 expected"
    CHECK_D P2_F, EFL_VIF | EFL_VIP | EFL_IF, EFL_VIP | EFL_IF, "PVI: after the faulting STI with VIP 1: VIP 1, VIF 0, IF 1 expected"
    TO_RING3 p3_r3, EFL_VIF | 0x3202 ; IOPL 3, VIF 1
p3_back:
    CHECK_D P3_F, EFL_IF, 0, "PVI: CLI at CPL 3, IOPL 3 did not clear IF"
    CHECK_D P3_F, EFL_VIF, EFL_VIF, "PVI: CLI at CPL 3, IOPL 3 changed VIF"

    PUTS32 "sys_vme: all checks passed"
    PASS


; ---------------- ring-3 code ----------------
p0_r3:
    ARM p0_cli_done
p0_cli:
    cli
    FAIL32 "CLI at CPL 3, IOPL 0 with CR4.PVI=0 did not fault"
p0_cli_done:
    EXPECT 13, 0, p0_cli, "CLI at CPL 3, IOPL 0, CR4.PVI=0"
    ARM p0_sti_done
p0_sti:
    sti
    FAIL32 "STI at CPL 3, IOPL 0 with CR4.PVI=0 did not fault"
p0_sti_done:
    EXPECT 13, 0, p0_sti, "STI at CPL 3, IOPL 0, CR4.PVI=0"
    pushfd
    pop dword [P0_F]
    TO_RING0 p0_back

p1_r3:
    pushfd
    pop dword [P1_F0]
    NOFAULT "PVI: STI at CPL 3, IOPL 0 faulted", sti
    pushfd
    pop dword [P1_F1]
    NOFAULT "PVI: CLI at CPL 3, IOPL 0 faulted", cli
    pushfd
    pop dword [P1_F2]
    NOFAULT "PVI: the second STI at CPL 3, IOPL 0 faulted", sti
    push dword 0x2
    popfd
    pushfd
    pop dword [P1_F3]
    mov eax, ROMBASE + p1_back
    int 0x31

p2_r3:
    NOFAULT "PVI: CLI at CPL 3, IOPL 0 with VIP 1 faulted", cli
    ARM p2_sti_done
p2_sti:
    sti
    FAIL32 "PVI: STI at CPL 3, IOPL 0 with VIP 1 did not fault"
p2_sti_done:
    EXPECT 13, 0, p2_sti, "PVI: STI at CPL 3, IOPL 0 with VIP 1"
    pushfd
    pop dword [P2_F]
    TO_RING0 p2_back

p3_r3:
    NOFAULT "PVI: CLI at CPL 3, IOPL 3 faulted", cli
    pushfd
    pop dword [P3_F]
    sti
    TO_RING0 p3_back

; ---------------- ring-0 handlers ----------------
; INT 0x31 from ring 3: note the pushed EFLAGS, then as INT 0x30
ring0_rec:
    mov ecx, [ss:esp + 8]
    mov [ss:R31_EFL], ecx
    jmp sys_ring0_service

; INT 0x61 from V86 at IOPL 3 (redirection bit set): through the IDT
int61_rec:
    push eax
    mov eax, [esp + 4]
    mov [ss:R61_EIP], eax
    mov eax, [esp + 8]
    mov [ss:R61_CS], eax
    mov eax, [esp + 12]
    mov [ss:R61_EFL], eax
    inc dword [ss:R61_CNT]
    pop eax
    iretd

; INT 0x20 from V86 at IOPL 3: leave V86
v86_exit_gate:
v86_leave:
    mov ax, SEL_KDATA
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov esp, [V_KESP]
    jmp [M_EXIT]

; The V86 monitor: #GP from V86 is logged and handled here; #GP from
; protected mode goes to the recording stub of sys.inc.
monitor_gp:
    test dword [esp + 12], EFL_VM
    jnz .v86
    jmp sys_exc_stubs + 13 * 16
.v86:
    push eax
    push ebx
    push ecx
    push esi
    mov ax, SEL_KDATA
    mov ds, ax
    mov es, ax
    ; [esp + 12] V86 EAX, [esp + 16] error code, then EIP CS EFLAGS ESP SS
    mov ebx, [LOG_CNT]
    cmp ebx, LOG_MAX
    jb .room
    MON_FAIL "monitor: too many V86 traps"
.room:
    inc dword [LOG_CNT]
    shl ebx, 5
    add ebx, LOG
    lea esi, [esp + 16]
    mov ecx, 6
.copy:
    mov eax, [esi]
    mov [ebx], eax
    add esi, 4
    add ebx, 4
    loop .copy
    ; the opcode at CS:IP
    movzx esi, word [esp + 24]
    shl esi, 4
    movzx eax, word [esp + 20]
    add esi, eax
    movzx eax, word [esi]
    mov [ebx], eax                  ; L_OP
    ; the V86 stack top
    movzx ecx, word [esp + 36]
    shl ecx, 4
    movzx ebx, word [esp + 32]
    add ecx, ebx
    cmp al, 0xe6
    je .out
    cmp al, 0xcd
    je .int
    cmp al, 0x66
    je .o32
    cmp al, 0x9d
    je .popf
    cmp al, 0xcf
    je .iret
    cmp al, 0xfb
    je .sti
    cmp al, 0xfa
    je .cli
    cmp al, 0x9c
    je .pushf
    MON_FAIL "monitor: V86 trap on an instruction it does not know"
.out:
    cmp ah, 0x80
    je .out80
    MON_FAIL "monitor: OUT to a port other than 0x80 trapped"
.out80:
    cmp byte [esp + 12], 1          ; AL 1: set VIP
    jne .skip2
    or dword [esp + 28], EFL_VIP
    jmp .skip2
.int:
    cmp ah, 0x20
    je v86_leave
    cmp dword [M_VME], 0
    je .skip2
    cmp ah, 0x60
    je .int_redir
    cmp ah, 0x67
    je .int_redir
    jmp .skip2
.int_redir:
    MON_FAIL "VME: INT n with its redirection bit clear trapped to the monitor"
.o32:
    cmp ah, 0x9c                    ; PUSHFD: skipped, nothing pushed
    je .skip2
    cmp ah, 0x9d                    ; POPFD: skipped, nothing popped
    je .skip2
    MON_FAIL "monitor: V86 trap on an unknown 66-prefixed instruction"
.cli:
    cmp dword [M_VME], 0
    je .skip1
    MON_FAIL "VME: CLI trapped in V86"
.pushf:
    cmp dword [M_VME], 0
    je .skip1
    MON_FAIL "VME: PUSHF (16-bit) trapped in V86"
.sti:
    cmp dword [M_VME], 0
    je .skip1
    test dword [esp + 28], EFL_VIP
    jnz .unpend
    MON_FAIL "VME: STI trapped in V86 with VIP 0"
.popf:
    cmp dword [M_VME], 0
    jne .popf_vme
    MON_FAIL "monitor: POPF trapped with CR4.VME=0"
.popf_vme:
    movzx eax, word [ecx]
    test eax, EFL_TF
    jz .popf_notf
    and word [ecx], ~EFL_TF & 0xffff        ; retry without TF
    jmp .back
.popf_notf:
    test eax, EFL_IF
    jz .popf_bad
    test dword [esp + 28], EFL_VIP
    jnz .unpend
.popf_bad:
    MON_FAIL "VME: POPF trapped in V86 though it pops TF 0 and not IF 1 with VIP 1"
.iret:
    cmp dword [M_VME], 0
    jne .iret_vme
    MON_FAIL "VME=0: IRET trapped: INT 0x60 reached the V86 handler though VME is off"
.iret_vme:
    movzx eax, word [ecx + 4]
    test eax, EFL_TF
    jz .iret_notf
    and word [ecx + 4], ~EFL_TF & 0xffff    ; retry without TF
    jmp .back
.iret_notf:
    test eax, EFL_IF
    jz .iret_bad
    test dword [esp + 28], EFL_VIP
    jnz .unpend
.iret_bad:
    MON_FAIL "VME: IRET trapped in V86 though it pops TF 0 and not IF 1 with VIP 1"
.unpend:
    and dword [esp + 28], ~EFL_VIP          ; the pending interrupt handled: retry
    jmp .back
.skip2:
    inc dword [esp + 20]
.skip1:
    inc dword [esp + 20]
.back:
    pop esi
    pop ecx
    pop ebx
    pop eax
    add esp, 4
    iretd

; ---------------- V86 code (copied to 0800:0000), DS = ES = 0 ----------------
    bits 16
v86_block:

; 1. CR4.VME = 0, IOPL 0: everything traps (the monitor skips it)
vb_start:
vb_cli:
    cli
vb_sti:
    sti
vb_pushf:
    pushf
vb_int60:
    int 0x60
vb_exit:
    int 0x20

; 4. CR4.VME = 1, IOPL 0 (entered with VIF 1, IF 1)
vm_start:
    mov al, 0
vm_t0:
    out 0x80, al
    cli
vm_t1:
    out 0x80, al
    sti
vm_t2:
    out 0x80, al
    stc
    pushf                           ; VIF 1
    mov [R_SP_PF], sp
    pop word [R_PF1]
    cli
    clc
    pushf                           ; VIF 0
    pop word [R_PF0]
vm_pushfd:
    pushfd                          ; #GP(0)
    mov [R_SP_PFD], sp
    push word 0x3201                ; IOPL 3, IF, CF
    popf
    mov [R_SP_POPF], sp
vm_t4:
    out 0x80, al
    push word 0x0000
    popf
vm_t5:
    out 0x80, al
    push word 0x0301                ; TF, IF, CF
vm_popf_tf:
    popf                            ; #GP(0); the monitor clears TF, retries
vm_t7:
    out 0x80, al
    push dword 0
vm_popfd:
    popfd                           ; #GP(0); the monitor skips it
    add sp, 4
    ; INT 0x60 (redirection bit clear) with VIF 1: the handler leaves FLAGS
    sti
    mov word [R_HMODE], 0
vm_int1:
    int 0x60
vm_int1_ret:
    mov [R_SP_I1], sp
    mov al, 0
vm_t10:
    out 0x80, al
    ; with VIF 0: the handler sets the stacked IF
    cli
    mov word [R_HMODE], 1
    int 0x60
vm_int2_ret:
    mov al, 0
vm_t12:
    out 0x80, al
    ; INT 0x67 with VIF 1: the handler clears the stacked IF
    mov word [R_HMODE], 2
    int 0x67
vm_int3_ret:
    mov al, 0
vm_t14:
    out 0x80, al
    mov word [R_HMODE], 0
vm_int61:
    int 0x61                        ; redirection bit set: #GP(0)
    ; IRET with TF in the popped FLAGS
    push word 0x0301                ; TF, IF, CF
    push cs
    push word IPOF(vm_iret_tf_to)
vm_iret_tf:
    iret                            ; #GP(0); the monitor clears TF, retries
vm_iret_tf_to:
    mov [R_SP_IRET], sp
vm_t17:
    out 0x80, al
    ; VIP
    cli
    mov al, 1
vm_t18:
    out 0x80, al                    ; the monitor sets VIP
    cli                             ; no trap
    push word 0x0000
    popf                            ; IF 0: no trap
    mov al, 0
vm_t19:
    out 0x80, al
vm_sti_vip:
    sti                             ; #GP(0); the monitor clears VIP, retries
vm_t21:
    out 0x80, al
    cli
    mov al, 1
vm_t22:
    out 0x80, al                    ; VIP again
    push word 0x0200
vm_popf_vip:
    popf                            ; IF 1 with VIP: #GP(0); cleared, retried
    mov al, 0
vm_t24:
    out 0x80, al
    cli
    mov al, 1
vm_t25:
    out 0x80, al                    ; VIP again
    push word 0x0000
    push cs
    push word IPOF(vm_iret0_to)
    iret                            ; IF 0 with VIP: no trap
vm_iret0_to:
    push word 0x0200
    push cs
    push word IPOF(vm_iret_vip_to)
vm_iret_vip:
    iret                            ; IF 1 with VIP: #GP(0); cleared, retried
vm_iret_vip_to:
    mov al, 0
vm_t27:
    out 0x80, al
vm_exit:
    int 0x20

; 5. CR4.VME = 1, IOPL 3 (entered with VIF 1, IF 1)
v3_start:
    cli
    mov al, 0
v3_t0:
    out 0x80, al
    sti
    pushf
    pop word [R_PF3]
    mov word [R_HMODE], 0
    int 0x60                        ; to the V86 vector table, IF cleared
v3_int60_ret:
    mov al, 0
v3_t2:
    out 0x80, al
    int 0x61                        ; through the IDT gate
v3_int61_ret:
    int 0x20                        ; through the IDT gate: leave

; The INT 0x60/0x67 handler of the V86 task: logs SP, the stacked IP, CS,
; FLAGS and its own PUSHF, traps once (OUT 0x80), changes the stacked IF
; as R_HMODE says and returns with IRET.
rm_handler:
    push bp
    push bx
    push ax
    mov bp, sp
    mov bx, [R_HCNT]
    shl bx, 4
    lea ax, [bp + 6]
    mov [R_HLOG + bx + H_SP], ax
    mov ax, [bp + 6]
    mov [R_HLOG + bx + H_IP], ax
    mov ax, [bp + 8]
    mov [R_HLOG + bx + H_CS], ax
    mov ax, [bp + 10]
    mov [R_HLOG + bx + H_FL], ax
    pushf
    pop ax
    mov [R_HLOG + bx + H_PF], ax
    inc word [R_HCNT]
    mov al, 0
rm_out:
    out 0x80, al
    cmp word [R_HMODE], 1
    jne .a
    or word [bp + 10], 0x200
.a: cmp word [R_HMODE], 2
    jne .b
    and word [bp + 10], ~0x200 & 0xffff
.b: pop ax
    pop bx
    pop bp
    iret

; vector-table entries that must never be used
rm_bad:
    inc word [R_BAD]
    iret
v86_end:

ROM_END
