; A disk image that boots through SeaBIOS and checks BIOS services: INT 10h
; teletype output, INT 13h reading its own second sector (by CHS, and on a
; hard disk by the LBA extensions), INT 1Ah time of day, INT 16h reading a
; key injected through the keyboard controller, INT 15h E820 memory map. Assembled with -DFLOPPY it is a 1.44 MB floppy image instead of a
; 1 MiB hard disk.
; It reports on the debug console (port 0xE9) and through isa-debug-exit
; (port 0xF4): 1 = pass (exit status 3), 2 = fail (exit status 5).
    bits 16
    org 0x7c00

%define DEBUGCON  0xe9
%define DEBUGEXIT 0xf4

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    mov [drive], dl

    mov si, msg_hello
    call print

    ; INT 13h AH=02h: read sector 2 (CHS 0/0/2) to 0x8000
    mov ax, 0x0201
    mov cx, 0x0002
    xor dh, dh
    mov dl, [drive]
    mov bx, 0x8000
    int 0x13
    jc fail_chs
    cmp dword [0x8000], 'SEC2'
    jne fail_chs

    ; INT 13h AH=41h/42h: LBA extensions (hard disks), read sector 2 (LBA 1) to 0x9000
    test byte [drive], 0x80
    jz .no_ext
    mov ah, 0x41
    mov bx, 0x55aa
    mov dl, [drive]
    int 0x13
    jc fail_ext
    cmp bx, 0xaa55
    jne fail_ext
    mov si, dap
    mov ah, 0x42
    mov dl, [drive]
    int 0x13
    jc fail_ext
    cmp dword [0x9000], 'SEC2'
    jne fail_ext
.no_ext:

    ; INT 1Ah AH=00h: the tick count moves
    xor ah, ah
    int 0x1a
    mov [ticks], dx
    mov cx, 0xffff
.wait:
    push cx
    xor ah, ah
    int 0x1a
    pop cx
    cmp dx, [ticks]
    jne .ticked
    hlt                    ; the timer interrupt wakes us
    loop .wait
    jmp fail_tick
.ticked:

    ; INT 16h: a key injected through the keyboard controller (command D2
    ; writes the keyboard output buffer as if the keyboard had sent it; the
    ; bytes are not translated, so they are set-1 codes: 'a' down, 'a' up)
    mov bl, 0x1e
    call inject_key
    mov bl, 0x9e
    call inject_key
    xor ah, ah
    int 0x16
    cmp ax, 0x1e61
    jne fail_key

    ; INT 15h E820: the first entry is usable RAM at 0
    mov eax, 0xe820
    xor ebx, ebx
    mov ecx, 20
    mov edx, 0x534d4150
    mov di, 0xa000
    int 0x15
    jc fail_e820
    cmp eax, 0x534d4150
    jne fail_e820
    cmp dword [0xa000], 0
    jne fail_e820
    cmp dword [0xa010], 1
    jne fail_e820

    mov si, msg_pass
    call print
    mov al, 1
    out DEBUGEXIT, al
    jmp halt

fail_chs:
    mov si, msg_chs
    jmp fail
fail_ext:
    mov si, msg_ext
    jmp fail
fail_tick:
    mov si, msg_tick
    jmp fail
fail_key:
    mov si, msg_key
    jmp fail
fail_e820:
    mov si, msg_e820
fail:
    call print
    mov al, 2
    out DEBUGEXIT, al
halt:
    cli
    hlt
    jmp halt

; Put the byte in BL in the keyboard controller's output buffer (command
; D2), waiting for the input buffer to be free before each write, and for
; the BIOS's IRQ 1 handler to take it.
inject_key:
    call .wait_input
    mov al, 0xd2
    out 0x64, al
    call .wait_input
    mov al, bl
    out 0x60, al
    mov cx, 0xffff
.wait_taken:
    in al, 0x64
    test al, 1
    jz .taken
    loop .wait_taken
.taken:
    ret
.wait_input:
    in al, 0x64
    test al, 2
    jnz .wait_input
    ret

; Print the string at DS:SI on the screen (INT 10h) and the debug console.
print:
    lodsb
    test al, al
    jz .done
    out DEBUGCON, al
    mov ah, 0x0e
    mov bx, 0x0007
    int 0x10
    jmp print
.done:
    ret

dap:
    db 0x10, 0
    dw 1            ; sectors
    dw 0x9000, 0    ; buffer
    dq 1            ; LBA

drive: db 0
ticks: dw 0
msg_hello: db "boot sector: hello", 13, 10, 0
msg_pass:  db "boot sector: BIOS services work", 13, 10, 0
msg_chs:   db "FAIL: 13h CHS", 13, 10, 0
msg_ext:   db "FAIL: 13h ext", 13, 10, 0
msg_tick:  db "FAIL: 1Ah ticks", 13, 10, 0
msg_e820:  db "FAIL: E820", 13, 10, 0
msg_key:   db "FAIL: 16h key", 13, 10, 0

    times 510 - ($ - $$) db 0
    dw 0xaa55

; Sector 2, read back by the checks above.
    db "SEC2"
    times 1024 - ($ - $$) db 0
%ifdef FLOPPY
    times 1474560 - ($ - $$) db 0   ; a 1.44 MB floppy
%else
    times 0x100000 - ($ - $$) db 0  ; a 1 MiB hard disk (2048 sectors)
%endif
