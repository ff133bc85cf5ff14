; A disk image that boots through SeaBIOS and draws through the VGA BIOS's
; VESA BIOS Extensions (VBE 2.0/3.0 core functions, INT 10h AX=4Fxx):
; 4F00 lists the modes, 4F01 finds 640x480 with 32 bits per pixel (direct
; colour, linear framebuffer available), and the ModeInfoBlock's PhysBasePtr
; must be where the VGA's PCI BAR0 is (found by class code 0300h on bus 0).
; Then 4F02 sets the mode and the picture below is drawn:
;   -DLFB:    through the linear framebuffer at PhysBasePtr (mode | 4000h),
;             written through FS in unreal mode;
;   -DBANKED: through window A at A0000h, 1200 KiB of pixels in 64 KiB
;             windows moved with 4F05 (bank switching).
; The picture: four quadrants, red (top left), green (top right), blue
; (bottom left), white (bottom right); the runner checks the screenshot.
; It reports on the debug console (port 0xE9) and through isa-debug-exit
; (port 0xF4): 1 = pass (exit status 3), 2 = fail (exit status 5).
    bits 16
    org 0x7c00

%define DEBUGCON  0xe9
%define DEBUGEXIT 0xf4
%define VBE_INFO  0x1000        ; VbeInfoBlock (512 bytes)
%define MODE_INFO 0x1200        ; ModeInfoBlock (256 bytes)
%define WIDTH     640
%define HEIGHT    480

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    ; The rest of the program: sectors 2-8 to 0x7e00.
    mov ax, 0x0207
    mov cx, 0x0002
    xor dh, dh
    mov bx, 0x7e00
    int 0x13
    jc fail_read
    jmp main

fail_read:
    mov si, msg_read
fail:
    call print
    mov al, 2
    out DEBUGEXIT, al
    cli
    hlt

; Print the zero-terminated string at DS:SI on the debug console.
print:
    lodsb
    test al, al
    jz .done
    out DEBUGCON, al
    jmp print
.done:
    ret

msg_read: db "FAIL: reading the program", 10, 0

    times 510 - ($ - $$) db 0
    dw 0xaa55

; --- sector 2 on ------------------------------------------------------------

main:
    mov si, msg_hello
    call print

    ; VBE controller information: ask for VBE 2.0+ fields.
    mov dword [VBE_INFO], 'VBE2'
    mov di, VBE_INFO
    mov ax, 0x4f00
    int 0x10
    cmp ax, 0x004f
    jne fail_4f00
    cmp dword [VBE_INFO], 'VESA'
    jne fail_4f00

    ; Walk the mode list for 640x480x32, direct colour, with a linear framebuffer.
    lfs si, [VBE_INFO + 0x0e]   ; VideoModePtr
.next_mode:
    mov cx, [fs:si]
    add si, 2
    cmp cx, 0xffff
    je fail_nomode
    mov di, MODE_INFO
    mov ax, 0x4f01
    int 0x10
    cmp ax, 0x004f
    jne .next_mode
    test byte [MODE_INFO], 0x80 ; ModeAttributes: linear framebuffer available
    jz .next_mode
    cmp word [MODE_INFO + 0x12], WIDTH
    jne .next_mode
    cmp word [MODE_INFO + 0x14], HEIGHT
    jne .next_mode
    cmp byte [MODE_INFO + 0x19], 32
    jne .next_mode
    cmp byte [MODE_INFO + 0x1b], 6 ; MemoryModel: direct colour
    jne .next_mode
    mov [mode], cx

    ; PhysBasePtr must be the VGA's BAR0.
    call find_vga_bar0
    mov eax, [MODE_INFO + 0x28]
    cmp eax, [bar0]
    jne fail_base
    mov si, msg_base
    call print

%ifdef LFB
    ; Unreal mode: FS with a 4 GiB limit (loaded in protected mode, kept in real mode).
    cli
    lgdt [gdtr]
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
    sti

    mov bx, [mode]
    or bx, 0x4000               ; linear framebuffer
    mov ax, 0x4f02
    int 0x10
    cmp ax, 0x004f
    jne fail_4f02
    xor edx, edx                ; y
.row:
    movzx edi, word [MODE_INFO + 0x32] ; LinBytesPerScanLine (VBE 3.0)
    test edi, edi
    jnz .have_pitch
    movzx edi, word [MODE_INFO + 0x10] ; BytesPerScanLine
.have_pitch:
    imul edi, edx
    add edi, [bar0]
    xor ecx, ecx                ; x
.pixel:
    call colour
    mov [fs:edi], eax
    add edi, 4
    inc ecx
    cmp ecx, WIDTH
    jb .pixel
    inc edx
    cmp edx, HEIGHT
    jb .row
%else
    mov bx, [mode]              ; windowed (banked) access
    mov ax, 0x4f02
    int 0x10
    cmp ax, 0x004f
    jne fail_4f02
    test byte [MODE_INFO + 0x02], 0x05 ; WinAAttributes: supported, writable
    jz fail_window
    mov ax, [MODE_INFO + 0x08]  ; WinASegment
    mov es, ax
    movzx eax, word [MODE_INFO + 0x04] ; WinGranularity in KiB
    shl eax, 10
    mov [gran], eax
    mov dword [bank], 0xffffffff
    xor edx, edx                ; y
.row:
    xor ecx, ecx                ; x
.pixel:
    ; offset = y * BytesPerScanLine + 4x; bank = offset / granularity
    movzx eax, word [MODE_INFO + 0x10]
    push edx
    imul eax, edx
    lea eax, [eax + ecx * 4]
    xor edx, edx
    div dword [gran]            ; eax = bank, edx = offset in the window
    mov edi, edx
    pop edx
    cmp eax, [bank]
    je .same_bank
    mov [bank], eax
    pushad
    mov dx, ax                  ; window position in granularity units
    xor bx, bx                  ; set window A
    mov ax, 0x4f05
    int 0x10
    cmp ax, 0x004f
    popad
    jne fail_4f05
.same_bank:
    call colour
    mov [es:di], eax
    inc ecx
    cmp ecx, WIDTH
    jb .pixel
    inc edx
    cmp edx, HEIGHT
    jb .row
    xor ax, ax
    mov es, ax
%endif
    mov si, msg_pass
    call print
    mov al, 1
    out DEBUGEXIT, al
    cli
    hlt

; EAX = the picture's colour at x = ECX, y = EDX.
colour:
    mov eax, 0xff0000           ; red
    cmp edx, HEIGHT / 2
    jb .top
    mov eax, 0x0000ff           ; blue
    cmp ecx, WIDTH / 2
    jb .done
    mov eax, 0xffffff           ; white
    ret
.top:
    cmp ecx, WIDTH / 2
    jb .done
    mov eax, 0x00ff00           ; green
.done:
    ret

; [bar0] = BAR0 (memory, flags masked) of the first display controller on bus 0.
find_vga_bar0:
    mov ebx, 0x80000000         ; bus 0, device 0, function 0
.dev:
    mov eax, ebx
    or al, 0x08                 ; class code and revision
    mov dx, 0xcf8
    out dx, eax
    mov dx, 0xcfc
    in eax, dx
    shr eax, 16
    cmp ax, 0x0300              ; VGA-compatible display controller
    je .found
    add ebx, 0x800              ; next device
    cmp ebx, 0x80010000
    jb .dev
    mov si, msg_novga
    jmp fail
.found:
    mov eax, ebx
    or al, 0x10                 ; BAR0
    mov dx, 0xcf8
    out dx, eax
    mov dx, 0xcfc
    in eax, dx
    and eax, ~0xf
    mov [bar0], eax
    ret

fail_4f00:
    mov si, msg_4f00
    jmp fail
fail_nomode:
    mov si, msg_nomode
    jmp fail
fail_base:
    mov si, msg_badbase
    jmp fail
fail_4f02:
    mov si, msg_4f02
    jmp fail
%ifndef LFB
fail_window:
    mov si, msg_window
    jmp fail
fail_4f05:
    mov si, msg_4f05
    jmp fail
%endif

    align 8
gdt:    dq 0
        dq 0x00cf92000000ffff   ; flat 4 GiB data
gdtr:   dw 15
        dd gdt

mode:   dw 0
bar0:   dd 0
gran:   dd 0
bank:   dd 0
msg_hello:   db "boot_vbe: looking for 640x480x32", 10, 0
msg_base:    db "boot_vbe: PhysBasePtr is the VGA's BAR0", 10, 0
msg_pass:    db "boot_vbe: drawn", 10, 0
msg_4f00:    db "FAIL: 4F00 (VBE controller information)", 10, 0
msg_nomode:  db "FAIL: no 640x480x32 direct-colour mode with a linear framebuffer", 10, 0
msg_badbase: db "FAIL: PhysBasePtr is not the VGA's BAR0", 10, 0
msg_4f02:    db "FAIL: 4F02 (set mode)", 10, 0
msg_window:  db "FAIL: window A is not writable", 10, 0
msg_4f05:    db "FAIL: 4F05 (window position)", 10, 0
msg_novga:   db "FAIL: no display controller on PCI bus 0", 10, 0

    times 8 * 512 - ($ - $$) db 0
    times 0x100000 - ($ - $$) db 0  ; a 1 MiB hard disk (2048 sectors)
