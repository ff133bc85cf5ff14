; A guest for the serial console's tests, run as popek's --bios (no
; SeaBIOS): it says "ready" on COM1, then answers every byte it receives
; with the byte in hex and a space ("09 03 1b 5b 41 " for Tab, Ctrl+C and
; the Up arrow), so the test sees exactly which bytes reached the guest
; without the terminal interpreting them.
%include "popek.inc"

%define COM1 0x3f8

ROM_BEGIN

; Send AL on COM1 once the transmitter holding register is empty.
putc:
    push dx
    push ax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop ax
    mov dx, COM1
    out dx, al
    pop dx
    ret

; Send the low nibble of AL as a hex digit.
put_nibble:
    and al, 0x0f
    add al, '0'
    cmp al, '9'
    jbe .digit
    add al, 'a' - '0' - 10
.digit:
    jmp putc

start:
    cli
    xor ax, ax
    mov ss, ax
    mov sp, 0x7000
    mov dx, COM1 + 3            ; 8 data bits, no parity, one stop bit
    mov al, 0x03
    out dx, al
    mov dx, COM1 + 1            ; no interrupts
    xor al, al
    out dx, al
    mov si, ready
.say:
    cs lodsb
    test al, al
    jz .echo
    call putc
    jmp .say
.echo:
    mov dx, COM1 + 5
    in al, dx
    test al, 0x01               ; data ready
    jz .echo
    mov dx, COM1
    in al, dx
    mov bl, al
    shr al, 4
    call put_nibble
    mov al, bl
    call put_nibble
    mov al, ' '
    call putc
    jmp .echo

ready: db "ready", 13, 10, 0

ROM_END
