; The I/O APIC (82093AA datasheet) and the 8259 behind the local APIC:
; the version register (24 entries); ISA IRQ 0 from the 8254 through I/O
; APIC pin 2 (the PIIX3 board's IRQ 0 override) as an edge-triggered
; vector with the 8259 fully masked; the RTC's IRQ 8 as a level-triggered
; vector (remote IRR set in the handler, the interrupt sent again after an
; EOI while the RTC still holds the line, remote IRR clear at the end);
; then the 8259's IRQ 0 through LINT0 in virtual wire mode (ExtINT), and
; straight to the processor once IA32_APIC_BASE disables the APIC (when
; CPUID.1:EDX.APIC reads 0).
%include "sys.inc"
%include "apic.inc"
ROM_BEGIN
SYS_CODE

    align 8
gdt_template:
    GDT_COMMON
gdt_template_end:

%define PIC_VEC 0x20            ; the 8259 master's vector base here

    bits 32
LAPIC_HANDLER 0x50

; IRQ 8 level-triggered: the first time, EOI with the RTC still asserting
; its line (the I/O APIC must send it again); the second time, read
; register C (the line drops), stop the periodic interrupt, then EOI.
lapic_handler_0x58:
    push eax
    inc dword [COUNT(0x58)]
    IOAPIC_R 0x10 + 2 * 8
    mov [SNAP], eax
    cmp dword [COUNT(0x58)], 1
    je .eoi
    mov al, 0x0b
    out 0x70, al
    mov al, 0x02                ; 24-hour, no PIE
    out 0x71, al
    mov al, 0x0c
    out 0x70, al
    in al, 0x71
.eoi:
    mov dword [L_EOI], 0
    pop eax
    iretd

; the 8259's IRQ 0: EOI to the 8259 only (an ExtINT vector is not in the APIC's ISR)
lapic_handler_0x20:
    push eax
    inc dword [COUNT(PIC_VEC)]
    mov al, 0x20
    out 0x20, al
    pop eax
    iretd

lapic_handler_0xff:
    inc dword [COUNT(0xff)]
    iretd

; Initialise the 8259 pair: master at PIC_VEC, slave at PIC_VEC + 8, all masked.
init_pics:
    mov al, 0x11
    out 0x20, al
    out 0xa0, al
    mov al, PIC_VEC
    out 0x21, al
    mov al, PIC_VEC + 8
    out 0xa1, al
    mov al, 4
    out 0x21, al
    mov al, 2
    out 0xa1, al
    mov al, 1
    out 0x21, al
    out 0xa1, al
    mov al, 0xff
    out 0x21, al
    out 0xa1, al
    ret

main:
    APIC_INIT
    GATE 0x50
    GATE 0x58
    GATE 0x20
    GATE 0xff
    call init_pics
    ; 8254 counter 0: mode 2, about 1 kHz
    mov al, 0x34
    out 0x43, al
    mov al, 1193 & 0xff
    out 0x40, al
    mov al, 1193 >> 8
    out 0x40, al

    ; ---------------- version ----------------
    IOAPIC_R 1
    mov ebx, eax
    shr ebx, 16
    and ebx, 0xff
    CHECK32 ebx, 23, "I/O APIC version: not 24 redirection entries"
    and eax, 0xff
    cmp eax, 0x11
    je .ver_ok
    cmp eax, 0x20               ; QEMU's default model
    je .ver_ok
    FAIL32 "I/O APIC version: neither 11h nor 20h"
.ver_ok:
    IOAPIC_R 0x10 + 2 * 2
    and eax, 1 << 16
    CHECK32 eax, 1 << 16, "I/O APIC pin 2 not masked after reset"

    ; ---------------- IRQ 0 through pin 2, edge-triggered ----------------
    mov dword [L_SVR], 0x1ff
    mov dword [L_LVT_LINT0], 0x10700        ; the 8259 cut off
    mov eax, [L_ID]
    IOAPIC_W 0x11 + 2 * 2, eax              ; destination: this APIC
    IOAPIC_W 0x10 + 2 * 2, 0x50             ; fixed, physical, edge, high, vector 0x50
    sti
    WAIT_GE COUNT(0x50), 3, "IRQ 0 through I/O APIC pin 2: fewer than 3 interrupts"
    IOAPIC_W 0x10 + 2 * 2, 0x10050          ; masked
    WAIT_TSC 2000000
    mov ebx, [COUNT(0x50)]
    WAIT_TSC 5000000
    CHECK32 [COUNT(0x50)], ebx, "I/O APIC pin 2 masked: interrupts go on"
    cli
    CHECK32 dword [COUNT(PIC_VEC)], 0, "IRQ 0 reached the processor through the masked 8259"

    ; ---------------- IRQ 8 through pin 8, level-triggered ----------------
    mov eax, [L_ID]
    IOAPIC_W 0x11 + 2 * 8, eax
    IOAPIC_W 0x10 + 2 * 8, 0x8058           ; fixed, level, active high, vector 0x58
    mov al, 0x0c                            ; clear old flags
    out 0x70, al
    in al, 0x71
    mov al, 0x0a
    out 0x70, al
    mov al, 0x26                            ; 32.768 kHz base, 1024 Hz periodic
    out 0x71, al
    mov al, 0x0b
    out 0x70, al
    mov al, 0x42                            ; PIE, 24-hour
    out 0x71, al
    sti
    WAIT_GE COUNT(0x58), 2, "level-triggered IRQ 8: not sent again after EOI while asserted"
    WAIT_TSC 5000000
    cli
    CHECK32 dword [COUNT(0x58)], 2, "level-triggered IRQ 8: more than two interrupts"
    mov eax, [SNAP]
    and eax, 1 << 14
    CHECK32 eax, 1 << 14, "level-triggered IRQ 8: remote IRR clear in the handler"
    IOAPIC_R 0x10 + 2 * 8
    and eax, 1 << 14
    CHECK32 eax, 0, "level-triggered IRQ 8: remote IRR still set after EOI"
    IOAPIC_W 0x10 + 2 * 8, 0x18058

    ; ---------------- the 8259 through LINT0 (virtual wire) ----------------
    mov dword [L_LVT_LINT0], 0x700          ; ExtINT
    mov al, 0xfe                            ; IRQ 0 only
    out 0x21, al
    sti
    WAIT_GE COUNT(PIC_VEC), 3, "virtual wire: the 8259's IRQ 0 not taken through LINT0"
    cli
    mov dword [L_LVT_LINT0], 0x10700        ; masked: the 8259 is cut off
    mov ebx, [COUNT(PIC_VEC)]
    sti
    WAIT_TSC 5000000
    cli
    mov eax, [COUNT(PIC_VEC)]
    sub eax, ebx
    cmp eax, 1                              ; one may have been on its way
    jbe .lint0_masked
    FAIL32 "LINT0 masked: the 8259's interrupts still taken"
.lint0_masked:

    ; ---------------- APIC disabled: the 8259 drives INTR ----------------
    mov ecx, 0x1b
    rdmsr
    and eax, ~(1 << 11)
    wrmsr
    mov eax, 1
    cpuid
    and edx, 1 << 9
    CHECK32 edx, 0, "APIC disabled: CPUID.1:EDX.APIC still set"
    ; QEMU 7.2 still passes the 8259 through the disabled APIC's (masked) LINT0 entry.
    QEMU_SKIP .direct_done, "the 8259 straight to INTR with the APIC disabled"
    mov ebx, [COUNT(PIC_VEC)]
    add ebx, 3
    sti
    WAIT_GE COUNT(PIC_VEC), ebx, "APIC disabled: the 8259's IRQ 0 not taken"
    cli
.direct_done:
    mov al, 0xff
    out 0x21, al

    CHECK32 dword [COUNT(0xff)], 0, "spurious interrupts taken"
    PUTS32 "I/O APIC and virtual wire: ok"
    PASS

ROM_END
