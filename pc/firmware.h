/*
 * Firmware images: finding the host's SeaBIOS and mapping a BIOS image where
 * a PC's flash sits, at the top of the 4 GiB space with its last 128 KiB
 * also at 0xE0000-0xFFFFF below 1 MiB, so that the reset vector at
 * 0xFFFFFFF0 and the real-mode F000:FFF0 reach the same bytes.
 */
#ifndef POPEK_PC_FIRMWARE_H
#define POPEK_PC_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

struct machine;

#define FIRMWARE_BIOS_MAX (16u << 20)
#define FIRMWARE_LOW_MAX  (128u << 10)

struct firmware {
    uint8_t *image; /* owned copy of the BIOS image */
    size_t size;
};

/*
 * The directories SeaBIOS is looked for in, in this order (NULL-terminated,
 * newly allocated: g_strfreev): /usr/share/seabios, /usr/share/qemu,
 * $HOMEBREW_PREFIX/share/qemu when HOMEBREW_PREFIX is set,
 * /opt/homebrew/share/qemu, /usr/local/share/qemu.
 */
char **firmware_dirs(void);

/* The first bios-256k.bin or bios.bin (in that order in each directory) in `dirs`, or NULL. */
char *firmware_find_bios(const char *const *dirs);

/* The host's SeaBIOS: firmware_find_bios(firmware_dirs()), newly allocated, or NULL. */
char *firmware_default_bios(void);

/* What to say when firmware_default_bios() finds nothing: one line naming --bios (newly allocated).
 */
char *firmware_no_bios_message(void);

/*
 * The VGA BIOS (vgabios-stdvga.bin) that goes with `bios_path`: beside it,
 * else the first in `dirs`; newly allocated, or NULL.
 */
char *firmware_find_vga_bios(const char *bios_path, const char *const *dirs);

/* firmware_find_vga_bios(bios_path, firmware_dirs()). */
char *firmware_vga_bios(const char *bios_path);

/*
 * Read a BIOS image (a non-zero multiple of 64 KiB, at most 16 MiB) and map
 * it into m. Returns 0, or -1 with *err a one-line message.
 */
int firmware_load_bios(struct firmware *fw, struct machine *m, const char *path, char **err);
void firmware_free(struct firmware *fw);

#endif
