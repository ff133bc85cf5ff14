/*
 * Direct kernel boot (--kernel, --initrd, --append): a Linux bzImage (boot
 * protocol 2.02 and later, Documentation/x86/boot.rst) or a Multiboot v1
 * kernel (ELF, or a.out kludge) is laid out here the way its boot protocol
 * wants, and handed to popek's boot option ROM (bootrom.asm) through fw_cfg
 * files; SeaBIOS runs the ROM first, which copies the pieces into guest
 * memory and starts the kernel.
 */
#include "pc/kernel.h"

#include <glib.h>
#include <stdbool.h>
#include <string.h>

#include "bootrom.h" /* generated from bootrom.asm */
#include "devices/fw_cfg.h"

#define BOOT_MAGIC     0x4f4f4250u /* 'PBOO' */
#define BOOT_LINUX     1
#define BOOT_MULTIBOOT 2
#define MAX_PIECES     16

/* Linux: where the pieces go (as QEMU and GRUB place a protocol-2.02+ kernel). */
#define LINUX_SETUP_ADDR   0x10000u
#define LINUX_CMDLINE_ADDR 0x20000u
#define LINUX_KERNEL_ADDR  0x100000u

/*
 * Multiboot: the information structure, memory map, module list and command
 * line in one 4 KiB area, at 0x9000 unless the kernel loads there (then
 * right after the kernel, or at 1 MiB).
 */
#define MB_AREA_ADDR   0x9000u
#define MB_AREA_SIZE   0x1000u
#define MB_MMAP_OFF    0x400u
#define MB_MODS_OFF    0x600u
#define MB_CMDLINE_OFF 0x800u
#define MB_CMDLINE_MAX 0x800u
#define MB_MAGIC       0x1badb002u

/*
 * Conventional RAM a kernel may load into: above the BIOS data area, below
 * the EBDA, away from what the boot ROM keeps there while it copies
 * (bootrom.asm: its stack, GDT, DMA structure and the boot descriptor).
 */
#define LOW_RAM_START    0x500u
#define LOW_RAM_END      0x9fc00u
#define BOOTROM_DATA     0x6000u
#define BOOTROM_DATA_END 0x7100u
#define HIGH_RAM         0x100000u

struct piece {
    const char *name; /* fw_cfg file */
    uint32_t addr;
    GBytes *data;
};

struct layout {
    uint32_t type, entry, arg;
    struct piece pieces[MAX_PIECES];
    unsigned n;
};

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static int add_piece(struct layout *l, const char *name, uint32_t addr, const void *data,
                     size_t len, char **err)
{
    if (l->n >= MAX_PIECES) {
        *err = g_strdup("--kernel: the kernel has too many pieces to load");
        return -1;
    }
    l->pieces[l->n++] = (struct piece){name, addr, g_bytes_new(data, len)};
    return 0;
}

/* [addr, addr + len) lies in guest RAM. */
static bool fits(uint64_t addr, uint64_t len, uint64_t ram)
{
    return addr <= ram && len <= ram - addr;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* A kernel may be loaded at [addr, addr + len): RAM above 1 MiB, or the free conventional RAM. */
static bool load_allowed(uint64_t addr, uint64_t len, uint64_t ram)
{
    if (!fits(addr, len, ram))
        return false;
    if (addr >= HIGH_RAM)
        return true;
    return addr >= LOW_RAM_START && addr + len <= LOW_RAM_END &&
           !overlaps(addr, len, BOOTROM_DATA, BOOTROM_DATA_END - BOOTROM_DATA);
}

/* [addr, addr + len) is free: allowed, and clear of every piece placed so far. */
static bool area_free(const struct layout *l, uint64_t addr, uint64_t len, uint64_t ram)
{
    if (!load_allowed(addr, len, ram))
        return false;
    for (unsigned i = 0; i < l->n; i++) {
        if (overlaps(addr, len, l->pieces[i].addr, g_bytes_get_size(l->pieces[i].data)))
            return false;
    }
    return true;
}

/*
 * The top of RAM belongs to the firmware: SeaBIOS keeps its high zone
 * there (CONFIG_MAX_HIGHTABLE, 256 KiB: the ACPI tables, the MP and SMBIOS
 * structures before they are copied, its own relocated code) and reserves
 * it in the e820 map. An initrd copied there by the boot ROM would
 * overwrite them.
 */
#define FIRMWARE_HIGH_ZONE 0x40000u

/* Where an initrd of `len` bytes goes: page-aligned, as high as `limit` and RAM allow. */
static int place_initrd(uint64_t len, uint64_t low, uint64_t limit, uint64_t ram, uint32_t *at,
                        char **err)
{
    uint64_t usable = ram > FIRMWARE_HIGH_ZONE ? ram - FIRMWARE_HIGH_ZONE : 0;
    uint64_t top = MIN(limit + 1, usable);
    if (len > top || ((top - len) & ~0xfffull) < low) {
        *err = g_strdup("--initrd: the initrd does not fit in guest RAM above the kernel "
                        "(give more memory with -m)");
        return -1;
    }
    *at = (uint32_t)((top - len) & ~0xfffull);
    return 0;
}

static int layout_linux(struct layout *l, uint8_t *k, size_t klen, const struct kernel_boot *b,
                        uint64_t ram, char **err)
{
    uint16_t version = get16(k + 0x206);
    unsigned setup_sects = k[0x1f1] ? k[0x1f1] : 4;
    size_t setup_len = (size_t)(setup_sects + 1) * 512;
    if (version < 0x0202 || !(k[0x211] & 0x01) || setup_len >= klen) {
        *err = g_strdup_printf("--kernel: %s is a Linux kernel popek cannot boot (boot "
                               "protocol %x.%02x; a bzImage with protocol 2.02 or later is "
                               "needed)",
                               b->kernel, version >> 8, version & 0xff);
        return -1;
    }
    size_t cmd_max = version >= 0x0206 ? get32(k + 0x238) : 255;
    const char *cmdline = b->cmdline ? b->cmdline : "";
    if (strlen(cmdline) > cmd_max || strlen(cmdline) >= 0xf000) {
        *err = g_strdup_printf("--append: the command line is longer than the kernel takes "
                               "(%zu bytes)",
                               cmd_max);
        return -1;
    }
    uint64_t kernel_len = klen - setup_len;
    if (!fits(LINUX_KERNEL_ADDR, kernel_len, ram)) {
        *err = g_strdup("--kernel: the kernel does not fit in guest RAM (give more with -m)");
        return -1;
    }
    k[0x210] = 0xff;          /* type_of_loader: undefined */
    k[0x211] |= 0x80;         /* CAN_USE_HEAP */
    put16(k + 0x224, 0xfe00); /* heap_end_ptr: the heap ends below the stack */
    put32(k + 0x228, LINUX_CMDLINE_ADDR);
    if (b->initrd_data) {
        uint64_t limit = version >= 0x0203 ? get32(k + 0x22c) : 0x37ffffff;
        uint32_t at;
        if (place_initrd(b->initrd_len, LINUX_KERNEL_ADDR + kernel_len, limit, ram, &at, err) < 0)
            return -1;
        put32(k + 0x218, at);
        put32(k + 0x21c, (uint32_t)b->initrd_len);
        if (add_piece(l, "opt/org.popek/initrd", at, b->initrd_data, b->initrd_len, err) < 0)
            return -1;
    }
    l->type = BOOT_LINUX;
    l->entry = LINUX_SETUP_ADDR >> 4; /* the setup segment */
    l->arg = 0xfff0;                  /* the stack pointer in it */
    if (add_piece(l, "opt/org.popek/setup", LINUX_SETUP_ADDR, k, setup_len, err) < 0 ||
        add_piece(l, "opt/org.popek/kernel", LINUX_KERNEL_ADDR, k + setup_len, kernel_len, err) <
            0 ||
        add_piece(l, "opt/org.popek/cmdline", LINUX_CMDLINE_ADDR, cmdline, strlen(cmdline) + 1,
                  err) < 0)
        return -1;
    return 0;
}

/* The Multiboot header in the first 8 KiB, or NULL. */
static const uint8_t *multiboot_header(const uint8_t *k, size_t klen)
{
    for (size_t off = 0; off + 12 <= MIN(klen, (size_t)8192); off += 4) {
        const uint8_t *h = k + off;
        if (get32(h) == MB_MAGIC && get32(h) + get32(h + 4) + get32(h + 8) == 0)
            return h;
    }
    return NULL;
}

/* Load the PT_LOAD segments of an ELF32 i386 image; *end is the highest byte + 1. */
static int layout_elf(struct layout *l, const uint8_t *k, size_t klen, uint64_t ram,
                      uint32_t *entry, uint64_t *end, char **err)
{
    static const char *const names[] = {"opt/org.popek/seg0", "opt/org.popek/seg1",
                                        "opt/org.popek/seg2", "opt/org.popek/seg3",
                                        "opt/org.popek/seg4", "opt/org.popek/seg5"};
    if (klen < 52 ||
        memcmp(k,
               "\x7f"
               "ELF",
               4) ||
        k[4] != 1 || get16(k + 18) != 3) {
        *err = g_strdup("--kernel: a Multiboot kernel without the a.out kludge must be an "
                        "ELF32 i386 image");
        return -1;
    }
    uint32_t phoff = get32(k + 28);
    unsigned phnum = get16(k + 44), phentsize = get16(k + 42), nseg = 0;
    *end = 0;
    for (unsigned i = 0; i < phnum; i++) {
        uint64_t at = (uint64_t)phoff + (uint64_t)i * phentsize;
        if (phentsize < 32 || at + 32 > klen)
            goto bad;
        const uint8_t *ph = k + at;
        if (get32(ph) != 1 /* PT_LOAD */)
            continue;
        uint32_t off = get32(ph + 4), paddr = get32(ph + 12), filesz = get32(ph + 16),
                 memsz = get32(ph + 20);
        if (filesz > memsz || (uint64_t)off + filesz > klen || !load_allowed(paddr, memsz, ram) ||
            nseg >= G_N_ELEMENTS(names))
            goto bad;
        /* bss is part of the piece: it must be zero whatever was in RAM before a reset. */
        uint8_t *seg = g_malloc0(memsz ? memsz : 1);
        memcpy(seg, k + off, filesz);
        int rc = add_piece(l, names[nseg++], paddr, seg, memsz, err);
        g_free(seg);
        if (rc < 0)
            return -1;
        *end = MAX(*end, (uint64_t)paddr + memsz);
    }
    if (nseg == 0)
        goto bad;
    *entry = get32(k + 24);
    return 0;
bad:
    *err = g_strdup("--kernel: the kernel's ELF program headers are malformed or load outside "
                    "guest RAM (0x500-0x5FFF, 0x7100-0x9FBFF, or above 1 MiB)");
    return -1;
}

/* The a.out kludge: the header says where the image and its bss go. */
static int layout_kludge(struct layout *l, const uint8_t *k, size_t klen, const uint8_t *h,
                         uint64_t ram, uint32_t *entry, uint64_t *end, char **err)
{
    uint32_t header_addr = get32(h + 12), load_addr = get32(h + 16);
    uint32_t load_end = get32(h + 20), bss_end = get32(h + 24);
    uint64_t hoff = (uint64_t)(h - k);
    if (header_addr < load_addr || header_addr - load_addr > hoff)
        goto bad;
    uint64_t file_off = hoff - (header_addr - load_addr);
    uint64_t len = load_end ? (uint64_t)load_end - load_addr : klen - file_off;
    uint64_t total = bss_end ? (uint64_t)bss_end - load_addr : len;
    if (load_end && load_end < load_addr)
        goto bad;
    if (file_off + len > klen || total < len || !load_allowed(load_addr, total, ram))
        goto bad;
    uint8_t *img = g_malloc0(total ? total : 1);
    memcpy(img, k + file_off, len);
    int rc = add_piece(l, "opt/org.popek/seg0", load_addr, img, total, err);
    g_free(img);
    *entry = get32(h + 28);
    *end = (uint64_t)load_addr + total;
    return rc;
bad:
    *err = g_strdup("--kernel: the Multiboot header's load addresses are inconsistent or "
                    "outside guest RAM (0x500-0x5FFF, 0x7100-0x9FBFF, or above 1 MiB)");
    return -1;
}

static int layout_multiboot(struct layout *l, const uint8_t *k, size_t klen, const uint8_t *h,
                            const struct kernel_boot *b, uint64_t ram, char **err)
{
    uint32_t flags = get32(h + 4), entry;
    uint64_t end;
    if ((flags & 0xffff) & ~0x7u) {
        *err = g_strdup("--kernel: the Multiboot kernel asks for features popek does not "
                        "provide (video mode or unknown flags)");
        return -1;
    }
    int rc = (flags & 0x10000) ? layout_kludge(l, k, klen, h, ram, &entry, &end, err)
                               : layout_elf(l, k, klen, ram, &entry, &end, err);
    if (rc < 0)
        return -1;
    const uint64_t candidates[] = {MB_AREA_ADDR, (end + 0xfff) & ~0xfffull, HIGH_RAM};
    uint64_t mb = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(candidates) && !mb; i++) {
        if (area_free(l, candidates[i], MB_AREA_SIZE, ram))
            mb = candidates[i];
    }
    if (!mb) {
        *err = g_strdup("--kernel: no room for the Multiboot information next to the kernel "
                        "(give more memory with -m)");
        return -1;
    }
    uint32_t mb_mmap = (uint32_t)mb + MB_MMAP_OFF, mb_mods = (uint32_t)mb + MB_MODS_OFF;
    uint32_t mb_cmdline = (uint32_t)mb + MB_CMDLINE_OFF;
    end = MAX(MAX(end, mb + MB_AREA_SIZE), (uint64_t)HIGH_RAM); /* the initrd goes above */

    uint8_t info[88] = {0};
    uint32_t iflags = 0x1 | 0x40; /* memory sizes, memory map */
    put32(info + 4, 639);
    put32(info + 8, (uint32_t)MIN((ram - 0x100000) / 1024, (uint64_t)UINT32_MAX));
    /* The kernel's name, then its arguments, as GRUB and QEMU pass them. */
    g_autofree char *cmdline =
        b->cmdline ? g_strdup_printf("%s %s", b->kernel, b->cmdline) : g_strdup(b->kernel);
    if (strlen(cmdline) >= MB_CMDLINE_MAX) {
        *err = g_strdup("--append: the command line is longer than 2047 bytes");
        return -1;
    }
    iflags |= 0x4;
    put32(info + 16, mb_cmdline);
    if (b->initrd_data) {
        uint32_t at;
        if (place_initrd(b->initrd_len, (end + 0xfff) & ~0xfffull, UINT32_MAX, ram, &at, err) < 0)
            return -1;
        uint8_t mod[16] = {0};
        put32(mod, at);
        put32(mod + 4, at + (uint32_t)b->initrd_len);
        put32(mod + 8, mb_cmdline); /* the module's string: the command line */
        iflags |= 0x8;
        put32(info + 20, 1);
        put32(info + 24, mb_mods);
        if (add_piece(l, "opt/org.popek/initrd", at, b->initrd_data, b->initrd_len, err) < 0 ||
            add_piece(l, "opt/org.popek/mods", mb_mods, mod, sizeof(mod), err) < 0)
            return -1;
    }
    uint8_t mmap[48] = {0};
    put32(mmap, 20);
    put32(mmap + 12, 0x9fc00);
    put32(mmap + 20, 1);
    put32(mmap + 24, 20);
    put32(mmap + 28, 0x100000);
    put32(mmap + 36, (uint32_t)(ram - 0x100000));
    put32(mmap + 40, (uint32_t)((ram - 0x100000) >> 32));
    put32(mmap + 44, 1);
    put32(info + 44, sizeof(mmap));
    put32(info + 48, mb_mmap);
    put32(info, iflags);
    l->type = BOOT_MULTIBOOT;
    l->entry = entry;
    l->arg = (uint32_t)mb;
    if (add_piece(l, "opt/org.popek/mbinfo", (uint32_t)mb, info, sizeof(info), err) < 0 ||
        add_piece(l, "opt/org.popek/mmap", mb_mmap, mmap, sizeof(mmap), err) < 0 ||
        add_piece(l, "opt/org.popek/cmdline", mb_cmdline, cmdline, strlen(cmdline) + 1, err) < 0)
        return -1;
    return 0;
}

/* Put the pieces, the descriptor, the ROM and a boot order naming it into fw_cfg. */
static void publish(struct fw_cfg *fw, const struct layout *l)
{
    uint8_t desc[20 + 12 * MAX_PIECES] = {0};
    put32(desc, BOOT_MAGIC);
    put32(desc + 4, l->type);
    put32(desc + 8, l->entry);
    put32(desc + 12, l->arg);
    put32(desc + 16, l->n);
    for (unsigned i = 0; i < l->n; i++) {
        gsize len;
        const void *data = g_bytes_get_data(l->pieces[i].data, &len);
        int key = fw_cfg_add_file(fw, l->pieces[i].name, data, len);
        uint8_t *e = desc + 20 + 12 * i;
        put16(e, (uint16_t)key);
        put32(e + 4, l->pieces[i].addr);
        put32(e + 8, (uint32_t)len);
    }
    fw_cfg_add_file(fw, "opt/org.popek/boot", desc, sizeof(desc));
    fw_cfg_add_file(fw, "genroms/popek-boot.bin", popek_bootrom, sizeof(popek_bootrom));
    static const char order[] = "/rom@genroms/popek-boot.bin\n";
    fw_cfg_add_file(fw, "bootorder", order, sizeof(order) - 1);
}

int kernel_boot_setup(struct fw_cfg *fw, const struct kernel_boot *b, uint64_t ram_size, char **err)
{
    struct layout l = {0};
    gsize klen = 0;
    char *kdata = NULL;
    GError *gerr = NULL;
    if (!g_file_get_contents(b->kernel, &kdata, &klen, &gerr)) {
        *err = g_strdup_printf("--kernel: %s", gerr->message);
        g_error_free(gerr);
        return -1;
    }
    uint8_t *k = (uint8_t *)kdata;
    const uint8_t *mb = multiboot_header(k, klen);
    int rc;
    if (klen > 0x240 && get32(k + 0x202) == 0x53726448u /* "HdrS" */ && !mb)
        rc = layout_linux(&l, k, klen, b, ram_size, err);
    else if (mb)
        rc = layout_multiboot(&l, k, klen, mb, b, ram_size, err);
    else {
        *err = g_strdup_printf("--kernel: %s is neither a Linux bzImage nor a Multiboot kernel",
                               b->kernel);
        rc = -1;
    }
    if (rc == 0)
        publish(fw, &l);
    for (unsigned i = 0; i < l.n; i++)
        g_bytes_unref(l.pieces[i].data);
    g_free(kdata);
    return rc;
}
