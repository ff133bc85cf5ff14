; A Multiboot v1 kernel (a.out kludge, flat binary) booted with --kernel,
; --initrd and --append through SeaBIOS and popek's boot ROM. It checks the
; boot protocol: EAX magic, flat 32-bit protected mode, the information
; structure (memory sizes, command line, memory map, the module) and a zero
; bss, and reports through the debug console and isa-debug-exit.
;
; Assembled with -DELF_LOAD=ADDR it is an ELF32 executable instead, its one
; PT_LOAD segment (headers, code, data, bss) at ADDR, below 1 MiB when ADDR is.
    bits 32
%define MB_MAGIC 0x1badb002
%ifdef ELF_LOAD
    org ELF_LOAD
%define MB_FLAGS 0x00000003            ; page-aligned modules, memory info (ELF)
elf_header:
    db 0x7f, "ELF", 1, 1, 1, 0          ; ELFCLASS32, little-endian, version 1
    times 8 db 0
    dw 2                                ; ET_EXEC
    dw 3                                ; EM_386
    dd 1                                ; EV_CURRENT
    dd start                            ; e_entry
    dd program_header - $$              ; e_phoff
    dd 0                                ; e_shoff
    dd 0                                ; e_flags
    dw 52                               ; e_ehsize
    dw 32                               ; e_phentsize
    dw 1                                ; e_phnum
    dw 40, 0, 0                         ; e_shentsize, e_shnum, e_shstrndx
program_header:
    dd 1                                ; PT_LOAD
    dd 0                                ; p_offset: the whole file
    dd $$                               ; p_vaddr
    dd $$                               ; p_paddr
    dd data_end - $$                    ; p_filesz
    dd bss_end - $$                     ; p_memsz
    dd 7                                ; PF_R | PF_W | PF_X
    dd 0x1000                           ; p_align
%else
    org 0x100000
%define MB_FLAGS 0x00010003            ; page-aligned modules, memory info, a.out kludge
%endif

    align 4
mb_header:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)
    dd mb_header                        ; header_addr
    dd mb_header                        ; load_addr
    dd data_end                         ; load_end_addr
    dd bss_end                          ; bss_end_addr
    dd start                            ; entry_addr

start:
    mov esp, stack_top
    cmp eax, 0x2badb002
    jne fail_magic
    mov ebp, ebx
    ; flat segments: CS base 0, data reads through DS of this image
    mov eax, [mb_header]
    cmp eax, MB_MAGIC
    jne fail_flat
    ; bss is zero
    mov edi, bss_start
    mov ecx, (bss_end - bss_start) / 4
    xor eax, eax
    repe scasd
    jne fail_bss
    mov [info], ebp
    ; memory information (flag 0) in KiB for a 32 MiB guest: 639 or 640 below
    ; 1 MiB (an EBDA may be carved out), up to 31 MiB above it (a loader may
    ; keep a little for itself)
    mov ebx, [info]
    test dword [ebx], 1
    jz fail_mem
    mov eax, [ebx + 4]
    sub eax, 639
    cmp eax, 1
    ja fail_mem
    mov eax, [ebx + 8]
    cmp eax, 31 * 1024
    ja fail_mem
    cmp eax, 30 * 1024
    jb fail_mem
    ; the command line (flag 2): the kernel's name, then --append, as GRUB does
    test dword [ebx], 4
    jz fail_cmdline
    mov edi, [ebx + 16]
    mov ecx, 4096
    xor al, al
    repne scasb                         ; EDI: one past the terminating zero
    jne fail_cmdline
    sub edi, expected_len
    mov esi, expected_cmdline
    mov ecx, expected_len
    repe cmpsb
    jne fail_cmdline
    ; the memory map (flag 6): an available range starting at 1 MiB
    test dword [ebx], 0x40
    jz fail_mmap
    mov esi, [ebx + 48]
    mov ecx, [ebx + 44]
    add ecx, esi
.mmap:
    cmp esi, ecx
    jae fail_mmap
    cmp dword [esi + 4], 0x100000
    jne .next
    cmp dword [esi + 20], 1
    je .mmap_ok
.next:
    add esi, [esi]
    add esi, 4
    jmp .mmap
.mmap_ok:
    ; the module (flag 3): one, page-aligned, holding the initrd's bytes
    test dword [ebx], 8
    jz fail_mod
    cmp dword [ebx + 20], 1
    jne fail_mod
    mov esi, [ebx + 24]
    mov eax, [esi]
    test eax, 0xfff
    jnz fail_mod
    cmp dword [eax], 'MODU'
    jne fail_mod
    mov edx, [esi + 4]
    sub edx, eax
    cmp edx, 4096
    jne fail_mod

    mov esi, msg_pass
    call print
    mov al, 1
    out 0xf4, al
    jmp halt

fail_magic:  mov esi, msg_magic
             jmp fail
fail_flat:   mov esi, msg_flat
             jmp fail
fail_bss:    mov esi, msg_bss
             jmp fail
fail_mem:    mov esi, msg_mem
             jmp fail
fail_cmdline: mov esi, msg_cmdline
             jmp fail
fail_mmap:   mov esi, msg_mmap
             jmp fail
fail_mod:    mov esi, msg_mod
fail:
    call print
    mov al, 2
    out 0xf4, al
halt:
    cli
    hlt
    jmp halt

print:
    lodsb
    test al, al
    jz .done
    out 0xe9, al
    jmp print
.done:
    ret

expected_cmdline: db "popek multiboot test", 0
expected_len equ $ - expected_cmdline
msg_pass:    db "multiboot kernel: boot protocol checks passed", 10, 0
msg_magic:   db "FAIL: EAX is not the Multiboot magic", 10, 0
msg_flat:    db "FAIL: not running flat at the load address", 10, 0
msg_bss:     db "FAIL: bss not zero", 10, 0
msg_mem:     db "FAIL: memory sizes", 10, 0
msg_cmdline: db "FAIL: command line", 10, 0
msg_mmap:    db "FAIL: memory map", 10, 0
msg_mod:     db "FAIL: module", 10, 0
    align 4
data_end:

    absolute data_end
bss_start:
info:   resd 1
        resb 8192
stack_top:
        resd 16
bss_end:
