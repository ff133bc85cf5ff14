/*
 * Direct kernel boot: --kernel (a Linux bzImage or a Multiboot v1 kernel),
 * --initrd and --append, handed to SeaBIOS through fw_cfg with popek's boot
 * option ROM (see kernel.c and bootrom.asm).
 */
#ifndef POPEK_PC_KERNEL_H
#define POPEK_PC_KERNEL_H

#include <stddef.h>
#include <stdint.h>

struct fw_cfg;

struct kernel_boot {
    const char *kernel;         /* path */
    const char *cmdline;        /* --append, or NULL */
    const uint8_t *initrd_data; /* --initrd contents, or NULL */
    size_t initrd_len;
};

/* Lay the kernel out for `ram_size` bytes of RAM and publish it. 0, or -1 with *err. */
int kernel_boot_setup(struct fw_cfg *fw, const struct kernel_boot *b, uint64_t ram_size,
                      char **err);

#endif
