; Real mode x87: FNINIT state, simple arithmetic, #NM with CR0.TS / CR0.EM
; (and WAIT with CR0.MP), the 16-bit real-mode FSTENV / FNSAVE / FRSTOR
; images (SDM Vol. 1 Figures 8-9 and 8-11), #MF with CR0.NE=1 reported at
; the next waiting x87 instruction, and the PC/AT path with CR0.NE=0: FERR#
; raises IRQ 13 (8259 slave IR5, vector 0x75 here), whose handler writes
; port 0xF0, runs FNCLEX and sends EOI to both PICs.
%include "popek.inc"
ROM_BEGIN

%define NM_CNT  0x500   ; #NM handler runs
%define NM_IP   0x502   ; saved IP of the last #NM
%define NM_CS   0x504
%define MF_CNT  0x510   ; #MF handler runs
%define MF_IP   0x512
%define MF_CS   0x514
%define MF_SW   0x516   ; FNSTSW inside the #MF handler
%define MF_ENV  0x520   ; FNSTENV (14 bytes) inside the #MF handler
%define IRQ_CNT 0x540   ; IRQ 13 handler runs
%define IRQ_IP  0x542
%define IRQ_SW  0x544   ; FNSTSW inside the IRQ 13 handler
%define IS_QEMU 0x550   ; 1: QEMU (stores the protected-mode pointer format in real mode)
%define EARLY   0x552   ; IRQ 13 count seen just before the waiting instruction
%define W       0x560   ; scratch word
%define Q       0x568   ; scratch qword
%define Q2      0x570   ; scratch qword
%define ENV     0x580   ; 14-byte FSTENV image
%define SAVE    0x600   ; 94-byte FNSAVE image
%define PTRSEG  0x1234  ; DS for an operand at linear 0x12350
%define PTROFF  0x0010

%define CR0_MP  0x02
%define CR0_EM  0x04
%define CR0_TS  0x08
%define CR0_NE  0x20

; CR0 = (CR0 & ~%1) | %2
%macro SETCR0 2
    mov eax, cr0
    and eax, ~(%1)
    or eax, %2
    mov cr0, eax
%endmacro

; Popek only: QEMU writes the protected-mode layout (selector and offset)
; for the instruction and operand pointers even in real mode.
%macro IF_NOT_QEMU 1
    cmp word [IS_QEMU], 1
    je %1
%endmacro

start:
    cli
    cld
    xor ax, ax
    mov ss, ax
    mov sp, 0x7000
    mov ds, ax
    mov es, ax
    ; every vector to a stub that fails naming it
    xor bx, bx
    mov ax, stubs
.ivt:
    mov [bx], ax
    mov word [bx + 2], cs
    add ax, 8
    add bx, 4
    cmp bx, 256 * 4
    jne .ivt
    mov word [7 * 4], nm_handler
    mov word [16 * 4], mf_handler
    mov word [0x75 * 4], irq13_handler
    xor ax, ax
    mov [NM_CNT], ax
    mov [MF_CNT], ax
    mov [IRQ_CNT], ax
    DETECT_QEMU16 IS_QEMU
    SETCR0 CR0_MP | CR0_EM | CR0_TS, CR0_NE

    ; ---- FNINIT state ----
    fninit
    mov word [W], 0xdead
    fnstcw [W]
    CHECK16 word [W], 0x037f, "FNINIT: FNSTCW is not 037F"
    mov ax, 0xdead
    fnstsw ax
    CHECK16 ax, 0, "FNINIT: FNSTSW AX is not 0"
    mov word [W], 0xdead
    fnstsw [W]
    CHECK16 word [W], 0, "FNINIT: FNSTSW m16 is not 0"
    mov word [ENV + 4], 0
    fnstenv [ENV]
    CHECK16 word [ENV + 0], 0x037f, "FNINIT: FNSTENV control word"
    CHECK16 word [ENV + 2], 0, "FNINIT: FNSTENV status word"
    CHECK16 word [ENV + 4], 0xffff, "FNINIT: FNSTENV tag word is not FFFF"

    ; ---- arithmetic ----
    fninit
    fld1
    fld1
    faddp st1               ; 2
    fld st0
    fmulp st1               ; 4
    fsqrt                   ; 2
    fistp word [W]
    CHECK16 word [W], 2, "sqrt((1+1)*(1+1)) is not 2"
    fldpi
    fimul word [cs:c1000]
    fistp word [W]
    CHECK16 word [W], 3142, "pi*1000 does not round to 3142"
    fild word [cs:c22]
    fild word [cs:c7]
    fdivp st1               ; 22/7
    fimul word [cs:c1000]
    fistp word [W]
    CHECK16 word [W], 3143, "22/7*1000 does not round to 3143"
    fild word [cs:c144]
    fsqrt
    fistp word [W]
    CHECK16 word [W], 12, "sqrt(144) is not 12"
    fild word [cs:c2]
    fsqrt
    fstp qword [Q]
    CHECK16 dword [Q], 0x667f3bcd, "sqrt(2) as double (low)"
    CHECK16 dword [Q + 4], 0x3ff6a09e, "sqrt(2) as double (high)"
    fldpi
    fstp qword [Q]
    CHECK16 dword [Q], 0x54442d18, "FLDPI as double (low)"
    CHECK16 dword [Q + 4], 0x400921fb, "FLDPI as double (high)"
    fld1
    fchs
    fld1
    fsubp st1               ; -2
    fabs
    fistp word [W]
    CHECK16 word [W], 2, "|-1-1| is not 2"
    fnstsw ax
    and ax, 0x3800
    CHECK16 ax, 0, "stack not empty after the arithmetic (TOP)"
    fnstenv [ENV]
    CHECK16 word [ENV + 4], 0xffff, "stack not empty after the arithmetic (tag)"

    ; ---- FSTENV: the 14-byte 16-bit real-mode environment ----
    mov ax, PTRSEG
    mov es, ax
    mov word [es:PTROFF], 0
    xor ax, ax
    mov es, ax
    fninit
    fldcw [cs:cw_0340]      ; all exceptions unmasked, PC=53 bits
    fld1
    mov ax, PTRSEG
    mov ds, ax
env_fild:
    fild word [PTROFF]      ; DF 06 10 00: a zero, from linear 0x12350
    xor ax, ax
    mov ds, ax
    fstenv [ENV]
    CHECK16 word [ENV + 0], 0x0340, "FSTENV: control word"
    CHECK16 word [ENV + 2], 0x3000, "FSTENV: status word (TOP=6)"
    CHECK16 word [ENV + 4], 0x1fff, "FSTENV: tag word (valid, zero, 6 empty)"
    CHECK16 word [ENV + 6], env_fild, "FSTENV: instruction pointer bits 15..0"
    IF_NOT_QEMU .nq0
    CHECK16 word [ENV + 8], 0xf706, "FSTENV real mode: IP bits 19..16 in 15..12 and opcode 706"
    CHECK16 word [ENV + 10], 0x2350, "FSTENV real mode: operand pointer bits 15..0"
    CHECK16 word [ENV + 12], 0x1000, "FSTENV real mode: operand pointer bits 19..16 in 15..12"
.nq0:
    fnstcw [W]
    IF_NOT_QEMU .nq_mask       ; QEMU leaves the control word as it was
    CHECK16 word [W], 0x037f, "FSTENV did not mask every exception"
.nq_mask:
    fnstsw ax
    CHECK16 ax, 0x3000, "FSTENV changed the status word"

    ; ---- FNSAVE / FRSTOR: the 94-byte 16-bit real-mode image ----
    fninit
    fldcw [cs:cw_027f]
    fld1
sav_fldpi:
    fldpi
    mov di, SAVE
    mov cx, 94 / 2
    mov ax, 0xa5a5
    rep stosw
    mov word [SAVE + 94], 0x5a5a
    fnsave [SAVE]
    CHECK16 word [SAVE + 94], 0x5a5a, "FNSAVE wrote past 94 bytes"
    CHECK16 word [SAVE + 0], 0x027f, "FNSAVE: control word"
    CHECK16 word [SAVE + 2], 0x3000, "FNSAVE: status word (TOP=6)"
    CHECK16 word [SAVE + 4], 0x0fff, "FNSAVE: tag word"
    CHECK16 word [SAVE + 6], sav_fldpi, "FNSAVE: instruction pointer bits 15..0"
    IF_NOT_QEMU .nq1
    CHECK16 word [SAVE + 8], 0xf1eb, "FNSAVE real mode: IP bits 19..16 in 15..12 and opcode 1EB"
    CHECK16 word [SAVE + 12], 0, "FNSAVE real mode: operand pointer bits 19..16 after FNINIT"
.nq1:
    CHECK16 dword [SAVE + 14], 0x2168c235, "FNSAVE: ST0 (pi) mantissa low"
    CHECK16 dword [SAVE + 18], 0xc90fdaa2, "FNSAVE: ST0 (pi) mantissa high"
    CHECK16 word [SAVE + 22], 0x4000, "FNSAVE: ST0 (pi) exponent"
    CHECK16 dword [SAVE + 24], 0, "FNSAVE: ST1 (1.0) mantissa low"
    CHECK16 dword [SAVE + 28], 0x80000000, "FNSAVE: ST1 (1.0) mantissa high"
    CHECK16 word [SAVE + 32], 0x3fff, "FNSAVE: ST1 (1.0) exponent"
    ; FNSAVE initialises the FPU
    fnstcw [W]
    CHECK16 word [W], 0x037f, "after FNSAVE: control word is not 037F"
    fnstsw ax
    CHECK16 ax, 0, "after FNSAVE: status word is not 0"
    fnstenv [ENV]
    CHECK16 word [ENV + 4], 0xffff, "after FNSAVE: tag word is not FFFF"
    ; FRSTOR an edited image: ST1 becomes 2.0
    mov word [SAVE + 32], 0x4000
    frstor [SAVE]
    fnstcw [W]
    CHECK16 word [W], 0x027f, "FRSTOR: control word"
    fnstsw ax
    CHECK16 ax, 0x3000, "FRSTOR: status word"
    fstp qword [Q]
    fstp qword [Q2]
    CHECK16 dword [Q], 0x54442d18, "FRSTOR: ST0 is not pi (low)"
    CHECK16 dword [Q + 4], 0x400921fb, "FRSTOR: ST0 is not pi (high)"
    CHECK16 dword [Q2], 0, "FRSTOR: ST1 is not 2.0 (low)"
    CHECK16 dword [Q2 + 4], 0x40000000, "FRSTOR: ST1 is not 2.0 (high)"

    ; ---- #NM ----
    fninit
    SETCR0 0, CR0_TS
nm_ts:
    fld1                    ; #NM; the handler clears TS and the FLD1 runs again
    CHECK16 word [NM_CNT], 1, "CR0.TS: FLD1 did not raise exactly one #NM"
    CHECK16 word [NM_IP], nm_ts, "CR0.TS: #NM saved IP is not the FLD1"
    CHECK16 word [NM_CS], 0xf000, "CR0.TS: #NM saved CS"
    fistp word [W]
    CHECK16 word [W], 1, "CR0.TS: FLD1 after the #NM did not load 1"
    SETCR0 0, CR0_TS
nm_ts_nowait:
    fninit                  ; the no-wait forms fault too
    CHECK16 word [NM_CNT], 2, "CR0.TS: FNINIT did not raise #NM"
    CHECK16 word [NM_IP], nm_ts_nowait, "CR0.TS: #NM saved IP is not the FNINIT"
    SETCR0 0, CR0_TS        ; TS without MP: WAIT does not fault
    fwait
    CHECK16 word [NM_CNT], 2, "CR0.TS=1 MP=0: WAIT raised #NM"
    SETCR0 0, CR0_MP        ; TS and MP: WAIT faults
nm_wait:
    fwait
    CHECK16 word [NM_CNT], 3, "CR0.TS=1 MP=1: WAIT did not raise #NM"
    CHECK16 word [NM_IP], nm_wait, "CR0.TS=1 MP=1: #NM saved IP is not the WAIT"
    SETCR0 CR0_MP, CR0_EM   ; EM without TS: WAIT runs, ESC faults
    fwait
    CHECK16 word [NM_CNT], 3, "CR0.EM=1 TS=0: WAIT raised #NM"
nm_em:
    fldpi
    CHECK16 word [NM_CNT], 4, "CR0.EM: FLDPI did not raise exactly one #NM"
    CHECK16 word [NM_IP], nm_em, "CR0.EM: #NM saved IP is not the FLDPI"
    fistp word [W]
    CHECK16 word [W], 3, "CR0.EM: FLDPI after the #NM"
    mov eax, cr0
    test al, CR0_EM | CR0_TS | CR0_MP
    jz .cr0_ok
    FAIL16 "CR0 EM/TS/MP still set"
.cr0_ok:

    ; ---- #MF with CR0.NE=1, at the next waiting instruction ----
    fninit
    fldcw [cs:cw_037b]      ; ZM clear
    fld1
    fldz
mf_div:
    fdivp st1               ; 1/0: ZE and ES set, no fault yet
    nop
    CHECK16 word [MF_CNT], 0, "NE=1: #MF at the FDIVP itself"
mf_wait:
    fwait                   ; #MF here; the handler runs FNCLEX and WAIT runs again
    CHECK16 word [MF_CNT], 1, "NE=1: WAIT did not raise exactly one #MF"
    CHECK16 word [MF_IP], mf_wait, "NE=1: #MF saved IP is not the WAIT"
    CHECK16 word [MF_CS], 0xf000, "NE=1: #MF saved CS"
    mov ax, [MF_SW]
    and ax, 0x8085
    CHECK16 ax, 0x8084, "NE=1: status word in the #MF handler lacks B/ES/ZE"
    CHECK16 word [MF_ENV + 6], mf_div, "NE=1: FNSTENV in the #MF handler: IP is not the FDIVP"
    IF_NOT_QEMU .nq2
    CHECK16 word [MF_ENV + 8], 0xf6f9, "NE=1: FNSTENV real mode in the #MF handler: IP 19..16 and opcode 6F9"
.nq2:
    ; an unmasked ZE leaves the operands and TOP alone (SDM Vol. 1 8.5.3);
    ; QEMU 7.2 stores infinity and pops instead
    IF_NOT_QEMU .nq_ze
    mov ax, [MF_SW]
    and ax, 0x3800
    CHECK16 ax, 0x3000, "NE=1: unmasked 1/0 in FDIVP changed TOP (popped)"
    fistp word [W]
    CHECK16 word [W], 0, "NE=1: unmasked 1/0 changed ST0 (the divisor 0)"
    fistp word [W]
    CHECK16 word [W], 1, "NE=1: unmasked 1/0 changed ST1 (the dividend 1)"
.nq_ze:
    ; the next waiting instruction may be any x87 instruction (QEMU checks
    ; for a pending exception only at WAIT)
    IF_NOT_QEMU x87_nq_fld
    fninit
    fldcw [cs:cw_037b]
    fld1
    fldz
    fdivp st1
    fnstsw ax               ; no-wait: no fault
    and ax, 0x8085
    CHECK16 ax, 0x8084, "NE=1: after 1/0 the status word lacks B/ES/ZE (or has IE)"
    CHECK16 word [MF_CNT], 1, "NE=1: FNSTSW raised #MF"
mf_fld:
    fld1
    CHECK16 word [MF_CNT], 2, "NE=1: FLD1 after 1/0 did not raise exactly one #MF"
    CHECK16 word [MF_IP], mf_fld, "NE=1: #MF saved IP is not the FLD1"
    fnstsw ax
    and ax, 0x3880
    CHECK16 ax, 0x2800, "NE=1: the FLD1 did not run after the #MF (TOP=5 / ES)"
    jmp x87_mf_done
x87_nq_fld:
    inc word [MF_CNT]       ; keep the count the popek path ends with
x87_mf_done:
    fninit

    ; ---- CR0.NE=0: FERR# raises IRQ 13 ----
    ; QEMU 7.2 aborts here (tcg_handle_interrupt: assertion
    ; qemu_mutex_iothread_locked: FERR# raises the IRQ from the vCPU thread
    ; without the lock), so this part runs on popek only.
    cmp word [IS_QEMU], 1
    jne x87_irq13
    PUTS16 "note: QEMU: IRQ 13 part skipped"
    jmp x87_irq13_done
x87_irq13:
    ; A P6 local APIC comes out of reset software-disabled with LINT0
    ; masked, which cuts the 8259 off from the CPU (QEMU models this); a
    ; BIOS enables it and makes LINT0 ExtINT. Do the same through FS in
    ; unreal mode (a 4 GiB limit loaded in protected mode). A machine
    ; without a local APIC ignores the writes.
    lgdt [cs:gdtr]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp short $ + 2
    mov bx, 8
    mov fs, bx
    and al, ~1
    mov cr0, eax
    jmp short $ + 2
    xor bx, bx
    mov fs, bx
    mov ebx, 0xfee00000
    mov dword [fs:ebx + 0xf0], 0x1ff    ; SVR: enabled, spurious vector FF
    mov dword [fs:ebx + 0x350], 0x700    ; LINT0: ExtINT
    mov dword [fs:ebx + 0x360], 0x400    ; LINT1: NMI
    mov al, 0x11            ; ICW1: edge, cascade, ICW4
    out 0x20, al
    out 0xa0, al
    mov al, 0x08            ; ICW2: vector bases
    out 0x21, al
    mov al, 0x70
    out 0xa1, al
    mov al, 0x04            ; ICW3: slave on IR2 / slave id 2
    out 0x21, al
    mov al, 0x02
    out 0xa1, al
    mov al, 0x01            ; ICW4: 8086 mode
    out 0x21, al
    out 0xa1, al
    mov al, 0xfb            ; master: only IR2
    out 0x21, al
    mov al, 0xdf            ; slave: only IR5 (IRQ 13)
    out 0xa1, al
    SETCR0 CR0_NE, 0
    sti
    fninit
    fldcw [cs:cw_037b]
    fld1
    fldz
    fdivp st1
    nop
    nop
    mov ax, [IRQ_CNT]
    mov [EARLY], ax
irq_wait:
    fwait
    mov cx, 16              ; a few branches: QEMU takes interrupts between blocks
    loop $
    cli
    CHECK16 word [MF_CNT], 2, "NE=0: the unmasked exception raised #MF"
    CHECK16 word [IRQ_CNT], 1, "NE=0: IRQ 13 (vector 75h) did not run exactly once"
    mov ax, [IRQ_SW]
    and ax, 0x0085
    CHECK16 ax, 0x0084, "NE=0: status word in the IRQ 13 handler lacks ES/ZE"
    fnstsw ax
    test al, 0x80
    jz .es_clear
    FAIL16 "NE=0: ES still set after the IRQ 13 handler's FNCLEX"
.es_clear:
    cmp word [EARLY], 0
    je .not_early
    PUTS16 "note: IRQ 13 was taken before the next waiting instruction"
.not_early:
    mov ax, [IRQ_IP]
    cmp ax, irq_wait
    je .ip_ok
    cmp ax, irq_wait + 1
    je .ip_ok
    cmp word [EARLY], 0
    jne .ip_ok
    FAIL16 "NE=0: IRQ 13 saved IP is neither the WAIT nor the next instruction"
.ip_ok:
    ; a second time: port F0 and FNCLEX re-armed FERR#/IRQ 13
    fninit
    fldcw [cs:cw_037b]
    sti
    fld1
    fldz
    fdivp st1
    fwait
    mov cx, 16              ; a few branches: QEMU takes interrupts between blocks
    loop $
    cli
    CHECK16 word [IRQ_CNT], 2, "NE=0: a second unmasked exception did not raise IRQ 13 again"
    CHECK16 word [MF_CNT], 2, "NE=0: the second exception raised #MF"
    fninit
x87_irq13_done:

    PUTS16 "x87_rm: all checks passed"
    PASS

; #NM: record, clear CR0.TS/EM/MP, return to run the instruction again.
nm_handler:
    push bp
    mov bp, sp
    push ds
    push eax
    xor ax, ax
    mov ds, ax
    inc word [NM_CNT]
    mov ax, [bp + 2]
    mov [NM_IP], ax
    mov ax, [bp + 4]
    mov [NM_CS], ax
    mov eax, cr0
    and eax, ~(CR0_TS | CR0_EM | CR0_MP)
    mov cr0, eax
    pop eax
    pop ds
    pop bp
    iret

; #MF: record the frame and FPU state, FNCLEX, return to run it again.
mf_handler:
    push bp
    mov bp, sp
    push ds
    push ax
    xor ax, ax
    mov ds, ax
    inc word [MF_CNT]
    mov ax, [bp + 2]
    mov [MF_IP], ax
    mov ax, [bp + 4]
    mov [MF_CS], ax
    fnstsw [MF_SW]
    fnstenv [MF_ENV]
    fnclex
    pop ax
    pop ds
    pop bp
    iret

; IRQ 13 (slave IR5 at vector 0x75): port F0, FNCLEX, EOI slave then master.
irq13_handler:
    push bp
    mov bp, sp
    push ds
    push ax
    xor ax, ax
    mov ds, ax
    inc word [IRQ_CNT]
    mov ax, [bp + 2]
    mov [IRQ_IP], ax
    fnstsw [IRQ_SW]
    xor al, al
    out 0xf0, al
    fnclex
    mov al, 0x20
    out 0xa0, al
    out 0x20, al
    pop ax
    pop ds
    pop bp
    iret

; Anything else fails, naming the vector in hex.
unexpected:                     ; AX = vector
    mov bx, ax
    PUTS16 "unexpected interrupt or exception; vector (hex) follows"
    mov dx, DEBUGCON
    mov al, bl
    shr al, 4
    call hexdigit
    mov al, bl
    and al, 0x0f
    call hexdigit
    mov al, 10
    out dx, al
    FAIL16 "unexpected vector"
hexdigit:
    add al, '0'
    cmp al, '9'
    jbe .o
    add al, 'a' - '9' - 1
.o: out dx, al
    ret

    align 8, db 0
gdt:    dq 0
        dq 0x008f92000000ffff   ; flat data, 4 GiB, byte granular limit via G=1
gdtr:   dw 15
        dd ROMBASE + gdt
c1000:  dw 1000
c22:    dw 22
c7:     dw 7
c144:   dw 144
c2:     dw 2
cw_0340: dw 0x0340
cw_027f: dw 0x027f
cw_037b: dw 0x037b

    align 8, db 0x90
stubs:
%assign v 0
%rep 256
    push ax
    mov ax, v
    jmp unexpected
    align 8, db 0x90
%assign v v + 1
%endrep

ROM_END
