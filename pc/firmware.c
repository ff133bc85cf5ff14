/*
 * BIOS image loading and mapping.
 */
#include "pc/firmware.h"

#include <glib.h>

#include "machine/machine.h"

/* Where distributions put SeaBIOS (Debian's seabios, QEMU's own copies). */
static const char *const bios_paths[] = {
    "/usr/share/seabios/bios-256k.bin",  "/usr/share/seabios/bios.bin",
    "/usr/share/qemu/bios.bin",          "/usr/local/share/qemu/bios.bin",
    "/opt/homebrew/share/qemu/bios.bin",
};

const char *firmware_default_bios(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(bios_paths); i++) {
        if (g_file_test(bios_paths[i], G_FILE_TEST_IS_REGULAR))
            return bios_paths[i];
    }
    return NULL;
}

/* The VGA BIOS for the standard VGA, next to the BIOS image or where distributions put it. */
char *firmware_vga_bios(const char *bios_path)
{
    char *dir = g_path_get_dirname(bios_path);
    char *beside = g_build_filename(dir, "vgabios-stdvga.bin", NULL);
    g_free(dir);
    if (g_file_test(beside, G_FILE_TEST_IS_REGULAR))
        return beside;
    g_free(beside);
    static const char *const paths[] = {
        "/usr/share/seabios/vgabios-stdvga.bin",
        "/usr/share/qemu/vgabios-stdvga.bin",
        "/usr/local/share/qemu/vgabios-stdvga.bin",
        "/opt/homebrew/share/qemu/vgabios-stdvga.bin",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(paths); i++) {
        if (g_file_test(paths[i], G_FILE_TEST_IS_REGULAR))
            return g_strdup(paths[i]);
    }
    return NULL;
}

int firmware_load_bios(struct firmware *fw, struct machine *m, const char *path, char **err)
{
    GError *gerr = NULL;
    char *data;
    gsize size;
    fw->image = NULL;
    fw->size = 0;
    if (!g_file_get_contents(path, &data, &size, &gerr)) {
        *err = g_strdup_printf("--bios: %s", gerr->message);
        g_error_free(gerr);
        return -1;
    }
    if (size == 0 || size % 0x10000 || size > FIRMWARE_BIOS_MAX) {
        *err = g_strdup_printf("--bios: '%s' is %zu bytes; a BIOS image is a multiple of "
                               "64 KiB up to 16 MiB",
                               path, (size_t)size);
        g_free(data);
        return -1;
    }
    fw->image = (uint8_t *)data;
    fw->size = size;

    /* Above RAM, so priority 1 is only for clarity against future RAM aliases. */
    memmap_add_rom(&m->mem, "bios", 0x100000000ull - size, size, fw->image, 1);
    size_t low = MIN(size, (size_t)FIRMWARE_LOW_MAX);
    memmap_add_rom(&m->mem, "isa-bios", 0x100000 - low, low, fw->image + size - low, 1);
    return 0;
}

void firmware_free(struct firmware *fw)
{
    g_free(fw->image);
    fw->image = NULL;
    fw->size = 0;
}
