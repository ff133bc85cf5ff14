/*
 * The standard VGA: its registers on the ISA ports 3B4-3BA, 3C0-3CF and
 * 3D4-3DA, and the four 64 KiB planes behind the legacy window at
 * 0xA0000-0xBFFFF with the graphics controller's write modes 0-3, read
 * modes 0-1, latches, chain-4 and odd/even addressing. The Bochs VBE
 * registers live in vbe.c, the picture in vga_render.c.
 *
 * Sources: IBM VGA Technical Reference and FreeVGA ("VGA/SVGA Video
 * Programming", the register pages and "Graphics Controller operation").
 */
#include "devices/vga.h"

#include <glib.h>
#include <string.h>

#include "devices/vga_internal.h"
#include "machine/machine.h"

/* Misc output register (write 3C2, read 3CC), FreeVGA "External Registers". */
#define MISC_COLOR      0x01 /* CRTC at 3Dx (else 3Bx) */
#define MISC_RAM_ENABLE 0x02 /* the CPU reaches video memory */

/* Input status 1 (3BA/3DA) bits. */
#define IS1_NOT_DISPLAY 0x01 /* in horizontal or vertical blanking */
#define IS1_VRETRACE    0x08

/* Writable bits of each register; 0 marks a register that does not exist. */
static const uint8_t seq_mask[SR_COUNT] = {0x03, 0x3d, 0x0f, 0x3f, 0x0e};
static const uint8_t gr_mask[GR_COUNT] = {0x0f, 0x0f, 0x0f, 0x1f, 0x03, 0x7b, 0x0f, 0x0f, 0xff};
static const uint8_t ar_mask[AR_COUNT] = {
    0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f,
    0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0xef, 0xff, 0x3f, 0x0f, 0x0f,
};
#define CR_LAST 0x18 /* CRTC registers 0x00-0x18 exist */

/* ---- planar memory ------------------------------------------------------ */

static uint8_t rotate_right(uint8_t v, unsigned n)
{
    n &= 7;
    return (uint8_t)((v >> n) | (v << ((8 - n) & 7)));
}

/* The graphics controller's logical operation with the latch (GR3 bits 3-4). */
static uint8_t alu(const struct vga *v, uint8_t data, uint8_t latch)
{
    switch ((v->gr[GR_ROTATE] >> 3) & 3) {
    case 1:
        return data & latch;
    case 2:
        return data | latch;
    case 3:
        return data ^ latch;
    default:
        return data;
    }
}

static uint8_t bit_select(uint8_t val, uint8_t mask, uint8_t latch)
{
    return (uint8_t)((val & mask) | (latch & ~mask));
}

/* What a CPU write of `val` puts in each plane (FreeVGA "Graphics Controller" write modes). */
static void write_mode_result(const struct vga *v, uint8_t val, uint8_t out[4])
{
    uint8_t set_reset = v->gr[GR_SET_RESET], enable_sr = v->gr[GR_ENABLE_SR];
    uint8_t bit_mask = v->gr[GR_BIT_MASK];
    uint8_t rotated = rotate_right(val, v->gr[GR_ROTATE]);
    for (unsigned p = 0; p < 4; p++) {
        uint8_t sr = (set_reset >> p) & 1 ? 0xff : 0x00;
        uint8_t latch = v->latch[p];
        switch (v->gr[GR_MODE] & 3) {
        case 0: /* rotated data or set/reset, logical op, bit mask */
            out[p] =
                bit_select(alu(v, (enable_sr >> p) & 1 ? sr : rotated, latch), bit_mask, latch);
            break;
        case 1: /* the latches, unchanged */
            out[p] = latch;
            break;
        case 2: /* data bit p spread over the byte */
            out[p] = bit_select(alu(v, (val >> p) & 1 ? 0xff : 0x00, latch), bit_mask, latch);
            break;
        default: /* 3: set/reset through (rotated data AND bit mask) */
            out[p] = bit_select(alu(v, sr, latch), rotated & bit_mask, latch);
            break;
        }
    }
}

/*
 * Chain-4 puts A0-A1 on the plane select and A14-A15 on the low address
 * bits, as the CRTC's doubleword addressing reads them back; odd/even puts
 * A0 on the plane select and A16 on A0 (IBM VGA: GR6 "chain odd/even",
 * CRTC 17h "address wrap"). Plane offsets wrap at 64 KiB, then `plane_base`
 * (a VBE 4-bpp bank) is added.
 */
static uint32_t chain4_offset(uint32_t off)
{
    return (off & ~3u) | ((off >> 14) & 3);
}

static uint32_t oddeven_offset(uint32_t off)
{
    return (off & ~1u) | ((off >> 16) & 1);
}

static bool plane_offset(uint32_t moff, uint32_t plane_base, uint32_t *out)
{
    *out = plane_base + (moff & (VGA_PLANE_SIZE - 1));
    return *out < VGA_VRAM_SIZE / 4;
}

uint8_t vga_planar_read(struct vga *v, uint32_t off, uint32_t plane_base)
{
    unsigned plane;
    uint32_t moff;
    if (v->seq[SR_MEM_MODE] & SR4_CHAIN4) {
        plane = off & 3;
        moff = chain4_offset(off);
    } else if (v->gr[GR_MODE] & GR5_ODDEVEN) {
        plane = (v->gr[GR_READ_MAP] & 2) | (off & 1);
        moff = oddeven_offset(off);
    } else {
        plane = v->gr[GR_READ_MAP] & 3;
        moff = off;
    }
    if (!plane_offset(moff, plane_base, &moff))
        return 0xff;
    memcpy(v->latch, &v->vram[moff * 4], 4);
    if (!(v->gr[GR_MODE] & GR5_READ1))
        return v->latch[plane];

    /* Read mode 1: a bit is set where every cared-for plane matches the compare colour. */
    uint8_t result = 0xff;
    for (unsigned p = 0; p < 4; p++) {
        if (!((v->gr[GR_DONT_CARE] >> p) & 1))
            continue;
        uint8_t colour = (v->gr[GR_COLOR_CMP] >> p) & 1 ? 0xff : 0x00;
        result &= (uint8_t) ~(v->latch[p] ^ colour);
    }
    return result;
}

void vga_planar_write(struct vga *v, uint32_t off, uint32_t plane_base, uint8_t val)
{
    uint8_t mask = v->seq[SR_MAP_MASK] & 0x0f;
    uint32_t moff;
    if (v->seq[SR_MEM_MODE] & SR4_CHAIN4) {
        mask &= (uint8_t)(1u << (off & 3));
        moff = chain4_offset(off);
    } else if (!(v->seq[SR_MEM_MODE] & SR4_NO_ODDEVEN)) {
        mask &= (off & 1) ? 0x0a : 0x05;
        moff = oddeven_offset(off);
    } else {
        moff = off;
    }
    if (!mask || !plane_offset(moff, plane_base, &moff))
        return;
    uint8_t out[4];
    write_mode_result(v, val, out);
    for (unsigned p = 0; p < 4; p++) {
        if (mask & (1u << p))
            v->vram[moff * 4 + p] = out[p];
    }
}

/* ---- the legacy window ---------------------------------------------------- */

/* Where `addr` (from 0xA0000) falls in the window GR6 selects, if it does. */
static bool window_offset(const struct vga *v, uint32_t addr, uint32_t *off)
{
    static const uint32_t base[4] = {0x00000, 0x00000, 0x10000, 0x18000};
    static const uint32_t size[4] = {0x20000, 0x10000, 0x08000, 0x08000};
    unsigned map = (v->gr[GR_MISC] >> 2) & 3;
    if (!(v->misc & MISC_RAM_ENABLE) || addr < base[map] || addr - base[map] >= size[map])
        return false;
    *off = addr - base[map];
    return true;
}

static uint32_t vga_window_read(void *opaque, uint64_t offset, unsigned size)
{
    struct vga *v = opaque;
    uint32_t off;
    if (offset >= VGA_LEGACY_SIZE || !window_offset(v, (uint32_t)offset, &off))
        return 0xff;
    if (vbe_enabled(v))
        return vbe_window_read(v, off);
    return vga_planar_read(v, off, 0);
}

static void vga_window_write(void *opaque, uint64_t offset, uint32_t value, unsigned size)
{
    struct vga *v = opaque;
    uint32_t off;
    if (offset >= VGA_LEGACY_SIZE || !window_offset(v, (uint32_t)offset, &off))
        return;
    if (vbe_enabled(v))
        vbe_window_write(v, off, (uint8_t)value);
    else
        vga_planar_write(v, off, 0, (uint8_t)value);
}

/* Byte accesses only: a wider CPU access is a sequence of byte accesses to the planes. */
static const struct mmio_ops vga_window_ops = {vga_window_read, vga_window_write, 0};

/* ---- registers ---------------------------------------------------------- */

static bool crtc_port_active(const struct vga *v, uint16_t port)
{
    bool colour_port = (port & 0xfff0) == 0x3d0;
    return colour_port == !!(v->misc & MISC_COLOR);
}

static uint8_t input_status1(struct vga *v)
{
    uint64_t t = vclock_now(&v->m->clock) % VGA_FRAME_NS;
    unsigned line = (unsigned)(t / VGA_LINE_NS);
    unsigned in_line = (unsigned)(t % VGA_LINE_NS);
    uint8_t st = 0;
    if (line >= VGA_VACTIVE_LINES || in_line >= VGA_HACTIVE_NS)
        st |= IS1_NOT_DISPLAY;
    if (line >= VGA_VRETRACE_FROM && line < VGA_VRETRACE_TO)
        st |= IS1_VRETRACE;
    v->ar_data_next = false; /* reading input status 1 resets the attribute flip-flop */
    return st;
}

static uint8_t dac_value_mask(const struct vga *v)
{
    return (v->vbe[VBE_ENABLE] & VBE_8BIT_DAC) ? 0xff : 0x3f;
}

/* 3C9: R, G, B of the entry at the write index; the third completes it. */
static void dac_data_write(struct vga *v, uint8_t val)
{
    v->dac_pending[v->dac_comp++] = val & dac_value_mask(v);
    if (v->dac_comp < 3)
        return;
    memcpy(v->dac[v->dac_write_index], v->dac_pending, 3);
    v->dac_write_index++;
    v->dac_comp = 0;
}

static uint8_t dac_data_read(struct vga *v)
{
    uint8_t val = v->dac[v->dac_read_index][v->dac_comp++];
    if (v->dac_comp == 3) {
        v->dac_comp = 0;
        v->dac_read_index++;
    }
    return val;
}

/* 3C0: index and data alternate; the flip-flop is reset by reading input status 1. */
static void attr_write(struct vga *v, uint8_t val)
{
    if (!v->ar_data_next) {
        v->ar_index = val & 0x3f;
    } else {
        unsigned i = v->ar_index & 0x1f;
        v->ar[i] = val & ar_mask[i];
    }
    v->ar_data_next = !v->ar_data_next;
}

static void crtc_write(struct vga *v, uint8_t val)
{
    unsigned i = v->crtc_index;
    if (i > CR_LAST)
        return;
    /* CRTC 11h bit 7 protects registers 0-7, except the line compare bit in 07h. */
    if ((v->crtc[CR_VRETRACE_END] & 0x80) && i <= CR_OVERFLOW) {
        if (i == CR_OVERFLOW)
            v->crtc[i] = (uint8_t)((v->crtc[i] & ~0x10) | (val & 0x10));
        return;
    }
    v->crtc[i] = val;
}

static uint8_t vga_port_read(struct vga *v, uint16_t port)
{
    switch (port) {
    case 0x3c0: /* attribute index */
        return v->ar_index;
    case 0x3c1: /* attribute data */
        return v->ar[v->ar_index & 0x1f] & ar_mask[v->ar_index & 0x1f];
    case 0x3c2: /* input status 0: no switch sense, no retrace interrupt */
        return 0x00;
    case 0x3c3:
        return v->vga_enable;
    case 0x3c4:
        return v->seq_index;
    case 0x3c5:
        return seq_mask[v->seq_index] ? v->seq[v->seq_index] : 0xff;
    case 0x3c6:
        return v->dac_mask;
    case 0x3c7: /* DAC state: 3 after a read index write, 0 after a write index write */
        return v->dac_reading ? 0x03 : 0x00;
    case 0x3c8:
        return v->dac_write_index;
    case 0x3c9:
        return dac_data_read(v);
    case 0x3ca:
        return v->feature;
    case 0x3cc:
        return v->misc;
    case 0x3ce:
        return v->gr_index;
    case 0x3cf:
        return gr_mask[v->gr_index] ? v->gr[v->gr_index] : 0xff;
    case 0x3b4:
    case 0x3d4:
        return crtc_port_active(v, port) ? v->crtc_index : 0xff;
    case 0x3b5:
    case 0x3d5:
        if (!crtc_port_active(v, port) || v->crtc_index > CR_LAST)
            return 0xff;
        return v->crtc[v->crtc_index];
    case 0x3ba:
    case 0x3da:
        return crtc_port_active(v, port) ? input_status1(v) : 0xff;
    default:
        return 0xff;
    }
}

static void vga_port_write(struct vga *v, uint16_t port, uint8_t val)
{
    switch (port) {
    case 0x3c0:
    case 0x3c1: /* writes to 3C1 act as 3C0, so OUT DX,AX to 3C0 gives index then data */
        attr_write(v, val);
        break;
    case 0x3c2:
        v->misc = val;
        break;
    case 0x3c3:
        v->vga_enable = val & 0x01;
        break;
    case 0x3c4:
        v->seq_index = val & (SR_COUNT - 1);
        break;
    case 0x3c5:
        v->seq[v->seq_index] = val & seq_mask[v->seq_index];
        break;
    case 0x3c6:
        v->dac_mask = val;
        break;
    case 0x3c7:
        v->dac_read_index = val;
        v->dac_comp = 0;
        v->dac_reading = true;
        break;
    case 0x3c8:
        v->dac_write_index = val;
        v->dac_comp = 0;
        v->dac_reading = false;
        break;
    case 0x3c9:
        dac_data_write(v, val);
        break;
    case 0x3ce:
        v->gr_index = val & (GR_COUNT - 1);
        break;
    case 0x3cf:
        v->gr[v->gr_index] = val & gr_mask[v->gr_index];
        break;
    case 0x3b4:
    case 0x3d4:
        if (crtc_port_active(v, port))
            v->crtc_index = val & (CR_COUNT - 1);
        break;
    case 0x3b5:
    case 0x3d5:
        if (crtc_port_active(v, port))
            crtc_write(v, val);
        break;
    case 0x3ba:
    case 0x3da: /* feature control */
        if (crtc_port_active(v, port))
            v->feature = val;
        break;
    default:
        break;
    }
}

/* Port ranges: 3B4-3BA (mono CRTC, status), 3C0-3CF, 3D4-3DA (colour CRTC, status). */
#define VGA_MONO_BASE   0x3b4
#define VGA_COMMON_BASE 0x3c0
#define VGA_COLOR_BASE  0x3d4

static uint32_t vga_mono_read(void *opaque, uint16_t offset, unsigned size)
{
    return vga_port_read(opaque, (uint16_t)(VGA_MONO_BASE + offset));
}

static void vga_mono_write(void *opaque, uint16_t offset, uint32_t value, unsigned size)
{
    vga_port_write(opaque, (uint16_t)(VGA_MONO_BASE + offset), (uint8_t)value);
}

static uint32_t vga_common_read(void *opaque, uint16_t offset, unsigned size)
{
    return vga_port_read(opaque, (uint16_t)(VGA_COMMON_BASE + offset));
}

static void vga_common_write(void *opaque, uint16_t offset, uint32_t value, unsigned size)
{
    vga_port_write(opaque, (uint16_t)(VGA_COMMON_BASE + offset), (uint8_t)value);
}

static uint32_t vga_color_read(void *opaque, uint16_t offset, unsigned size)
{
    return vga_port_read(opaque, (uint16_t)(VGA_COLOR_BASE + offset));
}

static void vga_color_write(void *opaque, uint16_t offset, uint32_t value, unsigned size)
{
    vga_port_write(opaque, (uint16_t)(VGA_COLOR_BASE + offset), (uint8_t)value);
}

/* Byte ports: the bus splits OUT DX,AX into the index and data bytes. */
static const struct io_ops vga_mono_ops = {vga_mono_read, vga_mono_write, 0};
static const struct io_ops vga_common_ops = {vga_common_read, vga_common_write, 0};
static const struct io_ops vga_color_ops = {vga_color_read, vga_color_write, 0};

/* ---- life cycle ---------------------------------------------------------- */

void vga_reset(struct vga *v)
{
    v->misc = 0;
    v->feature = 0;
    v->vga_enable = 1;
    v->seq_index = v->gr_index = v->crtc_index = v->ar_index = 0;
    memset(v->seq, 0, sizeof(v->seq));
    memset(v->gr, 0, sizeof(v->gr));
    memset(v->crtc, 0, sizeof(v->crtc));
    memset(v->ar, 0, sizeof(v->ar));
    v->ar_data_next = false;
    v->dac_mask = 0xff;
    v->dac_read_index = v->dac_write_index = v->dac_comp = 0;
    v->dac_reading = false;
    memset(v->dac_pending, 0, sizeof(v->dac_pending));
    memset(v->dac, 0, sizeof(v->dac));
    memset(v->latch, 0, sizeof(v->latch));
    memset(v->vram, 0, VGA_VRAM_SIZE);
    vbe_reset(v);
}

uint64_t vga_vram_size(void)
{
    return VGA_VRAM_SIZE;
}

static const struct {
    uint16_t base;
    uint32_t count;
    const struct io_ops *ops;
} vga_port_ranges[] = {
    {VGA_MONO_BASE, 7, &vga_mono_ops},
    {VGA_COMMON_BASE, 16, &vga_common_ops},
    {VGA_COLOR_BASE, 7, &vga_color_ops},
};

/* Give back the first `n` port ranges (only ranges this VGA claimed). */
static void vga_release_ports(struct vga *v, size_t n)
{
    while (n--)
        iobus_unregister(&v->m->io, vga_port_ranges[n].base);
}

struct vga *vga_create(struct machine *m)
{
    struct vga *v = g_new0(struct vga, 1);
    v->m = m;
    v->vram = g_malloc0(VGA_VRAM_SIZE);
    size_t n = G_N_ELEMENTS(vga_port_ranges);
    for (size_t i = 0; i < n; i++) {
        if (iobus_register(&m->io, "vga", vga_port_ranges[i].base, vga_port_ranges[i].count,
                           vga_port_ranges[i].ops, v) < 0) {
            vga_release_ports(v, i);
            goto fail;
        }
    }
    if (vbe_init(v) < 0) {
        vga_release_ports(v, n);
        goto fail;
    }
    /* Above RAM's priority: the window hides whatever RAM lies under 0xA0000-0xBFFFF. */
    v->window = memmap_add_mmio(&m->mem, "vga-window", VGA_LEGACY_BASE, VGA_LEGACY_SIZE,
                                &vga_window_ops, v, 1);
    vga_reset(v);
    return v;

fail:
    g_free(v->vram);
    g_free(v);
    return NULL;
}

void vga_destroy(struct vga *v)
{
    if (!v)
        return;
    /* The map has no removal: hide the regions so nothing reaches the freed state. */
    memmap_set_enabled(&v->m->mem, v->window, false);
    vbe_fini(v);
    vga_release_ports(v, G_N_ELEMENTS(vga_port_ranges));
    g_free(v->vram);
    g_free(v);
}
