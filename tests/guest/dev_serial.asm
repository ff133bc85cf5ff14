; COM1 (16550A) transmitting at the pace of its backend: the guest sends
; 3 x 64 KiB of a position-dependent pattern, each part through another
; way drivers use the transmitter:
;   1. one byte per THRE, polling LSR (a boot loader's or a BIOS's printf);
;   2. the THRE interrupt (IRQ 4 through the 8259A), up to 16 bytes into the
;      FIFO per interrupt (how Linux's 8250 driver fills it);
;   3. polling LSR again, 16 bytes per THRE with the FIFO.
; Then it waits for TEMT (everything out of the transmitter) and passes.
; The runner (run-serial) checks that all 196608 bytes arrived, in order,
; each the value the pattern gives it: byte i is (i ^ i >> 8 ^ i >> 16) & 0xff.
; Nothing here measures time; a transmitter that held THRE low longer than
; its backend needs (one character per run slice) does not finish within the
; runner's timeout, and one that dropped or repeated a byte breaks the pattern.
%include "popek.inc"
ROM_BEGIN

%define COM1     0x3f8
%ifndef PART
%define PART     0x10000        ; bytes per part
%endif
%define FIFO     16

; Variables (DS = 0).
%define V_INDEX  0x500          ; dword: index of the next byte to send
%define V_END    0x504          ; dword: index at which the current part ends
%define V_DONE   0x508          ; word: the interrupt-driven part is complete
%define V_INTS   0x50a          ; word: THRE interrupts taken

; AL = pattern byte for the index in EBX; keeps the other registers.
pattern:
    push ecx
    mov eax, ebx
    mov ecx, ebx
    shr ecx, 8
    xor eax, ecx
    shr ecx, 8
    xor eax, ecx
    pop ecx
    ret

; Send the byte at [V_INDEX] and advance. DX is clobbered.
send_next:
    push eax
    push ebx
    mov ebx, [V_INDEX]
    call pattern
    mov dx, COM1
    out dx, al
    inc ebx
    mov [V_INDEX], ebx
    pop ebx
    pop eax
    ret

; Wait until LSR has all bits of AH set.
%macro WAIT_LSR 0
%%poll:
    mov dx, COM1 + 5
    in al, dx
    and al, ah
    cmp al, ah
    jne %%poll
%endmacro

; IRQ 4: on THRE, put up to 16 bytes into the FIFO; at the end of the part,
; turn the THRE interrupt off and report completion.
com1_isr:
    push eax
    push dx
    push cx
    mov dx, COM1 + 2
    in al, dx
    and al, 0x0f
    cmp al, 0x02                ; IIR: THRE is the source
    jne .eoi
    inc word [V_INTS]
    mov cx, FIFO
.fill:
    mov eax, [V_INDEX]
    cmp eax, [V_END]
    jae .finished
    call send_next
    loop .fill
    jmp .eoi
.finished:
    mov dx, COM1 + 1
    xor al, al                  ; IER: no interrupts
    out dx, al
    mov word [V_DONE], 1
.eoi:
    mov al, 0x20
    out 0x20, al
    pop cx
    pop dx
    pop eax
    iret

start:
    cli
    xor ax, ax
    mov ss, ax
    mov sp, 0x7000
    mov ds, ax
    mov dword [V_INDEX], 0
    mov word [V_DONE], 0
    mov word [V_INTS], 0

    ; 8259A master: edge triggered, vectors 08h-0Fh, only IRQ 4 unmasked.
    mov al, 0x11
    out 0x20, al
    mov al, 0x08
    out 0x21, al
    mov al, 0x04
    out 0x21, al
    mov al, 0x01
    out 0x21, al
    mov al, 0xef
    out 0x21, al
    mov al, 0xff
    out 0xa1, al
    mov word [0x0c * 4], com1_isr
    mov word [0x0c * 4 + 2], cs

    ; A P6 local APIC comes out of reset software-disabled with LINT0
    ; masked, which cuts the 8259A off from the CPU (SDM Vol. 3A 10.4.7.1;
    ; QEMU models this); a BIOS enables it with LINT0 as ExtINT ("virtual
    ; wire"). Do the same through FS in unreal mode (a 4 GiB limit loaded in
    ; protected mode). A machine without a local APIC ignores the writes.
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
    mov dword [fs:ebx + 0x350], 0x700   ; LINT0: ExtINT

    ; 115200 baud, 8N1, FIFOs on and cleared, no interrupts yet.
    mov dx, COM1 + 3
    mov al, 0x80
    out dx, al
    mov dx, COM1
    mov al, 1
    out dx, al
    inc dx
    xor al, al
    out dx, al
    mov dx, COM1 + 3
    mov al, 0x03
    out dx, al
    mov dx, COM1 + 2
    mov al, 0x07
    out dx, al
    mov dx, COM1 + 1
    xor al, al
    out dx, al
    mov dx, COM1 + 5
    in al, dx
    CHECK16 al, 0x60, "an idle transmitter: LSR has THRE and TEMT and nothing else"

    ; Part 1: one byte per THRE, polling.
    mov dword [V_END], PART
.part1:
    mov ah, 0x20
    WAIT_LSR
    call send_next
    mov eax, [V_INDEX]
    cmp eax, [V_END]
    jb .part1

    ; Part 2: the THRE interrupt. Enabling ETBEI with THR empty raises it
    ; at once (datasheet, IER bit 1); OUT2 gates it onto IRQ 4.
    add dword [V_END], PART
    mov dx, COM1 + 4
    mov al, 0x08
    out dx, al
    mov dx, COM1 + 1
    mov al, 0x02
    out dx, al
.part2:
    cli
    cmp word [V_DONE], 0
    jne .part2_done
    sti
    hlt                         ; STI's shadow: no interrupt is lost between them
    jmp .part2
.part2_done:
    mov eax, [V_INDEX]
    CHECK16 eax, 2 * PART, "the interrupt-driven part sent exactly its bytes"
    cmp word [V_INTS], PART / FIFO
    jae .ints_ok
    FAIL16 "fewer THRE interrupts than 16-byte bursts"
.ints_ok:
    mov dx, COM1 + 4
    xor al, al
    out dx, al

    ; Part 3: 16 bytes into the FIFO per THRE, polling.
    add dword [V_END], PART
.part3:
    mov ah, 0x20
    WAIT_LSR
    mov cx, FIFO
.burst:
    call send_next
    loop .burst
    mov eax, [V_INDEX]
    cmp eax, [V_END]
    jb .part3

    ; Everything out of the shift register too.
    mov ah, 0x60
    WAIT_LSR
    PASS

gdt:    dq 0
        dq 0x00cf92000000ffff   ; flat 4 GiB data
gdtr:   dw 15
        dd ROMBASE + gdt

ROM_END
