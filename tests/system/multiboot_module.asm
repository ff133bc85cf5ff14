; The module handed to tests/system/multiboot.asm with --initrd: 4 KiB starting "MODULE".
    db "MODULE"
    times 4096 - ($ - $$) db 0xa5
