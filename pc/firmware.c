/*
 * BIOS image loading and mapping.
 */
#include "pc/firmware.h"

#include <glib.h>
#include <stdbool.h>
#include <string.h>

#include "machine/machine.h"

/*
 * Where SeaBIOS is on the hosts popek runs on: Debian's seabios package,
 * QEMU's own copies (Linux distributions, a QEMU built from source), and
 * Homebrew's qemu formula on macOS (under $HOMEBREW_PREFIX when it is set,
 * and under the prefixes Homebrew uses on Apple silicon and on Intel Macs).
 */
char **firmware_dirs(void)
{
    GPtrArray *dirs = g_ptr_array_new();
    g_ptr_array_add(dirs, g_strdup("/usr/share/seabios"));
    g_ptr_array_add(dirs, g_strdup("/usr/share/qemu"));
    const char *brew = g_getenv("HOMEBREW_PREFIX");
    if (brew && *brew)
        g_ptr_array_add(dirs, g_build_filename(brew, "share", "qemu", NULL));
    static const char *const prefixes[] = {"/opt/homebrew", "/usr/local"};
    for (size_t i = 0; i < G_N_ELEMENTS(prefixes); i++) {
        char *dir = g_build_filename(prefixes[i], "share", "qemu", NULL);
        bool seen = false;
        for (guint j = 0; j < dirs->len; j++)
            seen = seen || strcmp(g_ptr_array_index(dirs, j), dir) == 0;
        if (seen)
            g_free(dir);
        else
            g_ptr_array_add(dirs, dir);
    }
    g_ptr_array_add(dirs, NULL);
    return (char **)g_ptr_array_free(dirs, FALSE);
}

/* The first of `names` in the first of `dirs` that has one, newly allocated, or NULL. */
static char *find_in(const char *const *dirs, const char *const *names)
{
    for (size_t i = 0; dirs[i]; i++) {
        for (size_t j = 0; names[j]; j++) {
            char *path = g_build_filename(dirs[i], names[j], NULL);
            if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
                return path;
            g_free(path);
        }
    }
    return NULL;
}

char *firmware_find_bios(const char *const *dirs)
{
    static const char *const names[] = {"bios-256k.bin", "bios.bin", NULL};
    return find_in(dirs, names);
}

char *firmware_default_bios(void)
{
    char **dirs = firmware_dirs();
    char *path = firmware_find_bios((const char *const *)dirs);
    g_strfreev(dirs);
    return path;
}

char *firmware_no_bios_message(void)
{
    char **dirs = firmware_dirs();
    char *list = g_strjoinv(", ", dirs);
    char *msg = g_strdup_printf("no BIOS image (SeaBIOS's bios-256k.bin or bios.bin) in %s: "
                                "install SeaBIOS (Debian: seabios; macOS: brew install qemu) "
                                "or give --bios=FILE",
                                list);
    g_free(list);
    g_strfreev(dirs);
    return msg;
}

char *firmware_find_vga_bios(const char *bios_path, const char *const *dirs)
{
    static const char *const names[] = {"vgabios-stdvga.bin", NULL};
    char *beside_dir = g_path_get_dirname(bios_path);
    const char *const beside[] = {beside_dir, NULL};
    char *path = find_in(beside, names);
    g_free(beside_dir);
    return path ? path : find_in(dirs, names);
}

char *firmware_vga_bios(const char *bios_path)
{
    char **dirs = firmware_dirs();
    char *path = firmware_find_vga_bios(bios_path, (const char *const *)dirs);
    g_strfreev(dirs);
    return path;
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
