/*
 * The Bochs VBE "dispi" interface: an index register at 0x1CE and a data
 * register at 0x1CF (0x1D0 answers as data too, as Bochs has it on
 * non-x86 buses) selecting resolution, depth, the 64 KiB bank seen through
 * the legacy window, the virtual screen and the display start. The whole
 * VRAM also appears as a linear framebuffer wherever the PCI layer maps it
 * (vga_map_lfb). Register meanings follow Bochs's vbe_display_api.txt and
 * what SeaBIOS's vgasrc/bochsvga.c expects of them.
 *
 * Every register combination is clamped so that the visible screen, the
 * virtual screen and the display start all lie inside VRAM: out-of-range
 * XRES, YRES and BPP writes are clamped to the largest supported value
 * (what GETCAPS reports), and a too-wide virtual screen falls back to the
 * visible width.
 */
#include <glib.h>
#include <string.h>

#include "devices/vga_internal.h"
#include "machine/machine.h"

#define VBE_ENABLE_BITS                                                                            \
    (VBE_ENABLED | VBE_GETCAPS | VBE_8BIT_DAC | VBE_LFB_ENABLED | VBE_NOCLEARMEM)

bool vbe_enabled(const struct vga *v)
{
    return v->vbe[VBE_ENABLE] & VBE_ENABLED;
}

unsigned vbe_bytes_per_pixel(unsigned bpp)
{
    switch (bpp) {
    case 8:
        return 1;
    case 15:
    case 16:
        return 2;
    case 24:
        return 3;
    case 32:
        return 4;
    default: /* 4 bpp: planar, one bit per pixel in each plane */
        return 0;
    }
}

/* Bytes a depth can address: planar modes see a quarter of VRAM in each plane. */
static uint32_t vbe_capacity(unsigned bpp)
{
    return bpp == 4 ? VGA_VRAM_SIZE / 4 : VGA_VRAM_SIZE;
}

/* Bytes of one line `width` pixels wide (per plane at 4 bpp). */
static uint32_t vbe_line_bytes(unsigned bpp, uint32_t width)
{
    return bpp == 4 ? (width + 7) / 8 : width * vbe_bytes_per_pixel(bpp);
}

/* A depth write: 0 means 8 (Bochs), others round up to a supported depth, at most 32. */
static uint16_t vbe_clamp_bpp(uint16_t val)
{
    static const uint16_t depths[] = {4, 8, 15, 16, 24, 32};
    if (val == 0)
        return 8;
    for (size_t i = 0; i < G_N_ELEMENTS(depths); i++) {
        if (val <= depths[i])
            return depths[i];
    }
    return VBE_MAX_BPP;
}

/* Make the virtual screen and display start fit the mode and VRAM. */
static void vbe_fixup(struct vga *v)
{
    uint16_t *r = v->vbe;
    unsigned bpp = r[VBE_BPP];
    uint32_t cap = vbe_capacity(bpp);
    if (r[VBE_VIRT_WIDTH] < r[VBE_XRES])
        r[VBE_VIRT_WIDTH] = r[VBE_XRES];
    uint32_t line = vbe_line_bytes(bpp, r[VBE_VIRT_WIDTH]);
    if ((uint64_t)line * r[VBE_YRES] > cap) {
        r[VBE_VIRT_WIDTH] = r[VBE_XRES];
        line = vbe_line_bytes(bpp, r[VBE_XRES]);
    }
    if ((uint64_t)line * r[VBE_YRES] > cap)
        r[VBE_YRES] = (uint16_t)(cap / line);
    uint32_t max_lines = MIN(cap / line, 0xffffu);
    r[VBE_VIRT_HEIGHT] = (uint16_t)CLAMP((uint32_t)r[VBE_VIRT_HEIGHT], r[VBE_YRES], max_lines);
    r[VBE_X_OFFSET] = MIN(r[VBE_X_OFFSET], r[VBE_VIRT_WIDTH] - r[VBE_XRES]);
    r[VBE_Y_OFFSET] = MIN(r[VBE_Y_OFFSET], r[VBE_VIRT_HEIGHT] - r[VBE_YRES]);
}

void vbe_geometry(const struct vga *v, struct vbe_geometry *g)
{
    const uint16_t *r = v->vbe;
    unsigned bpp = r[VBE_BPP];
    uint32_t cap = vbe_capacity(bpp);
    unsigned bytespp = vbe_bytes_per_pixel(bpp);
    g->bpp = bpp;
    g->width = MIN(r[VBE_XRES], VGA_MAX_WIDTH);
    g->line_bytes = vbe_line_bytes(bpp, MAX(r[VBE_VIRT_WIDTH], r[VBE_XRES]));
    uint64_t start = (uint64_t)r[VBE_Y_OFFSET] * g->line_bytes +
                     (bpp == 4 ? r[VBE_X_OFFSET] / 8u : (uint64_t)r[VBE_X_OFFSET] * bytespp);
    uint32_t visible = vbe_line_bytes(bpp, g->width);
    /* Only lines that lie wholly in VRAM are shown (the registers are fixed up so all do). */
    uint64_t height = MIN(r[VBE_YRES], VGA_MAX_HEIGHT);
    if (start + visible > cap)
        height = 0;
    else if (g->line_bytes)
        height = MIN(height, (cap - start - visible) / g->line_bytes + 1);
    g->start = height ? (uint32_t)start : 0;
    g->height = (unsigned)height;
}

static void vbe_write_enable(struct vga *v, uint16_t val)
{
    uint16_t *r = v->vbe;
    bool was_enabled = vbe_enabled(v);
    r[VBE_ENABLE] = val & VBE_ENABLE_BITS;
    if (!(val & VBE_ENABLED) || was_enabled)
        return;
    /* Entering a mode: the virtual screen is the visible one, as large as VRAM allows. */
    r[VBE_VIRT_WIDTH] = r[VBE_XRES];
    r[VBE_VIRT_HEIGHT] = 0xffff;
    r[VBE_X_OFFSET] = r[VBE_Y_OFFSET] = 0;
    vbe_fixup(v);
    if (!(val & VBE_NOCLEARMEM)) {
        uint32_t bytes = vbe_line_bytes(r[VBE_BPP], r[VBE_VIRT_WIDTH]) * r[VBE_YRES];
        if (r[VBE_BPP] == 4)
            bytes *= 4;
        memset(v->vram, 0, MIN(bytes, VGA_VRAM_SIZE));
    }
}

static void vbe_write(struct vga *v, unsigned index, uint16_t val)
{
    uint16_t *r = v->vbe;
    switch (index) {
    case VBE_ID: /* the interface versions a driver may ask for */
        if (val >= VBE_ID0 && val <= VBE_ID5)
            r[VBE_ID] = val;
        break;
    case VBE_XRES: /* the mode is fixed while enabled */
        if (!vbe_enabled(v))
            r[VBE_XRES] = CLAMP(val, 1, VBE_MAX_XRES);
        break;
    case VBE_YRES:
        if (!vbe_enabled(v))
            r[VBE_YRES] = CLAMP(val, 1, VBE_MAX_YRES);
        break;
    case VBE_BPP:
        if (!vbe_enabled(v))
            r[VBE_BPP] = vbe_clamp_bpp(val);
        break;
    case VBE_ENABLE:
        vbe_write_enable(v, val);
        break;
    case VBE_BANK: /* a bank past the end of VRAM is refused (SeaBIOS reads it back) */
        if (((uint32_t)val << 16) < vbe_capacity(r[VBE_BPP]))
            r[VBE_BANK] = val;
        break;
    case VBE_VIRT_WIDTH:
        r[VBE_VIRT_WIDTH] = val;
        r[VBE_VIRT_HEIGHT] = 0xffff;
        vbe_fixup(v);
        break;
    case VBE_VIRT_HEIGHT:
    case VBE_X_OFFSET:
    case VBE_Y_OFFSET:
        r[index] = val;
        vbe_fixup(v);
        break;
    default: /* VIDEO_MEMORY_64K is read-only; other indices do not exist */
        break;
    }
}

static uint16_t vbe_read(const struct vga *v, unsigned index)
{
    bool caps = v->vbe[VBE_ENABLE] & VBE_GETCAPS;
    switch (index) {
    case VBE_XRES:
        return caps ? VBE_MAX_XRES : v->vbe[VBE_XRES];
    case VBE_YRES:
        return caps ? VBE_MAX_YRES : v->vbe[VBE_YRES];
    case VBE_BPP:
        return caps ? VBE_MAX_BPP : v->vbe[VBE_BPP];
    case VBE_VIDEO_MEMORY_64K:
        return VGA_VRAM_SIZE >> 16;
    default:
        return index < VBE_NREGS ? v->vbe[index] : 0;
    }
}

/* Port 0x1CE: index; 0x1CF (and 0x1D0): data. 16-bit accesses are taken whole. */
static uint32_t vbe_port_read(void *opaque, uint16_t offset, unsigned size)
{
    struct vga *v = opaque;
    return offset == 0 ? v->vbe_index : vbe_read(v, v->vbe_index);
}

static void vbe_port_write(void *opaque, uint16_t offset, uint32_t value, unsigned size)
{
    struct vga *v = opaque;
    if (offset == 0)
        v->vbe_index = (uint16_t)value;
    else
        vbe_write(v, v->vbe_index, (uint16_t)value);
}

static const struct io_ops vbe_ops = {vbe_port_read, vbe_port_write, IO_SIZE_2};

/* The legacy window in a VBE mode: 64 KiB banks of linear VRAM, or planar banks at 4 bpp. */
uint8_t vbe_window_read(struct vga *v, uint32_t off)
{
    uint32_t base = (uint32_t)v->vbe[VBE_BANK] << 16;
    if (v->vbe[VBE_BPP] == 4)
        return vga_planar_read(v, off, base);
    return base + off < VGA_VRAM_SIZE ? v->vram[base + off] : 0xff;
}

void vbe_window_write(struct vga *v, uint32_t off, uint8_t val)
{
    uint32_t base = (uint32_t)v->vbe[VBE_BANK] << 16;
    if (v->vbe[VBE_BPP] == 4)
        vga_planar_write(v, off, base, val);
    else if (base + off < VGA_VRAM_SIZE)
        v->vram[base + off] = val;
}

void vga_map_lfb(struct vga *v, uint64_t base)
{
    if (base == 0 || base + VGA_VRAM_SIZE < base) {
        memmap_set_enabled(&v->m->mem, v->lfb, false);
        v->lfb_base = 0;
        return;
    }
    memmap_move(&v->m->mem, v->lfb, base);
    memmap_set_enabled(&v->m->mem, v->lfb, true);
    v->lfb_base = base;
}

void vbe_reset(struct vga *v)
{
    memset(v->vbe, 0, sizeof(v->vbe));
    v->vbe_index = 0;
    v->vbe[VBE_ID] = VBE_ID5;
    v->vbe[VBE_XRES] = 640;
    v->vbe[VBE_YRES] = 480;
    v->vbe[VBE_BPP] = 8;
    v->vbe[VBE_VIRT_WIDTH] = 640;
    v->vbe[VBE_VIRT_HEIGHT] = 0xffff;
    vbe_fixup(v);
}

int vbe_init(struct vga *v)
{
    if (iobus_register(&v->m->io, "vbe", VBE_PORT_INDEX, 3, &vbe_ops, v) < 0)
        return -1;
    /* VRAM as guest RAM, hidden until the PCI layer maps the framebuffer BAR. */
    v->lfb = memmap_add_ram(&v->m->mem, "vga-lfb", 0, VGA_VRAM_SIZE, v->vram, 1);
    memmap_set_enabled(&v->m->mem, v->lfb, false);
    v->lfb_base = 0;
    return 0;
}

void vbe_fini(struct vga *v)
{
    memmap_set_enabled(&v->m->mem, v->lfb, false);
    iobus_unregister(&v->m->io, VBE_PORT_INDEX);
}
