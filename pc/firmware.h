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

/* The host's SeaBIOS bios.bin, or NULL when none is installed. */
const char *firmware_default_bios(void);

/* The VGA BIOS (vgabios-stdvga.bin) that goes with `bios_path`, newly allocated, or NULL. */
char *firmware_vga_bios(const char *bios_path);

/*
 * Read a BIOS image (a non-zero multiple of 64 KiB, at most 16 MiB) and map
 * it into m. Returns 0, or -1 with *err a one-line message.
 */
int firmware_load_bios(struct firmware *fw, struct machine *m, const char *path, char **err);
void firmware_free(struct firmware *fw);

#endif
