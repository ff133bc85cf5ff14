/*
 * What the three VGA files share: the adapter's state, register numbers,
 * and the few functions one file calls in another. vga.c owns the standard
 * VGA registers and planar memory, vbe.c the Bochs dispi registers and the
 * linear framebuffer, vga_render.c the picture. Not for use outside them.
 *
 * Register references: IBM VGA Technical Reference (Personal System/2
 * Hardware Interface Technical Reference, "Video Subsystem") and FreeVGA
 * (http://www.osdever.net/FreeVGA/vga/vga.htm); the dispi interface as
 * Bochs documents it in vbe_display_api.txt.
 */
#ifndef POPEK_DEVICES_VGA_INTERNAL_H
#define POPEK_DEVICES_VGA_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/vga.h"

struct machine;
struct mem_region;

#define VGA_VRAM_SIZE   (16u << 20) /* all of VRAM, the LFB */
#define VGA_PLANE_SIZE  0x10000u    /* one plane of the 256 KiB standard VGA memory */
#define VGA_LEGACY_BASE 0xa0000u    /* the legacy window: 0xA0000-0xBFFFF */
#define VGA_LEGACY_SIZE 0x20000u

/*
 * The virtual-time raster behind input status 1 and text blinking: 640x480
 * at 59.94 Hz (25.175 MHz dot clock, 800 dots and 525 lines a frame).
 * Vertical retrace is kept longer than the real two lines so a polling
 * loop run by the interpreter is sure to see it every frame.
 */
#define VGA_LINE_NS       31778u
#define VGA_FRAME_LINES   525u
#define VGA_FRAME_NS      ((uint64_t)VGA_LINE_NS * VGA_FRAME_LINES)
#define VGA_HACTIVE_NS    25422u /* 640 of 800 dots */
#define VGA_VACTIVE_LINES 480u
#define VGA_VRETRACE_FROM 490u
#define VGA_VRETRACE_TO   522u

/* Sequencer registers (3C4/3C5), FreeVGA "Sequencer Registers". */
enum {
    SR_RESET = 0x00,
    SR_CLOCKING = 0x01, /* bit 0: 8-dot chars, bit 3: dot clock / 2, bit 5: screen off */
    SR_MAP_MASK = 0x02,
    SR_CHAR_MAP = 0x03, /* character map A: bits 5,3,2; map B: bits 4,1,0 */
    SR_MEM_MODE = 0x04, /* bit 2: odd/even disable (host writes), bit 3: chain 4 */
    SR_COUNT = 8,
};
#define SR1_8DOT       0x01
#define SR1_DOTCLK2    0x08
#define SR1_SCREENOFF  0x20
#define SR4_NO_ODDEVEN 0x04
#define SR4_CHAIN4     0x08

/* Graphics controller registers (3CE/3CF), FreeVGA "Graphics Registers". */
enum {
    GR_SET_RESET = 0x00,
    GR_ENABLE_SR = 0x01,
    GR_COLOR_CMP = 0x02,
    GR_ROTATE = 0x03,   /* bits 0-2: rotate count, bits 3-4: logical operation */
    GR_READ_MAP = 0x04, /* bits 0-1 */
    GR_MODE = 0x05,     /* bits 0-1: write mode, 3: read mode, 4: host odd/even, 5: CGA
                           shift interleave, 6: 256-colour shift */
    GR_MISC = 0x06,     /* bit 0: graphics, bit 1: chain odd/even, bits 2-3: memory map */
    GR_DONT_CARE = 0x07,
    GR_BIT_MASK = 0x08,
    GR_COUNT = 16,
};
#define GR5_READ1      0x08
#define GR5_ODDEVEN    0x10
#define GR5_INTERLEAVE 0x20
#define GR5_256        0x40

/* CRT controller registers (3B4/3B5 or 3D4/3D5), FreeVGA "CRT Controller Registers". */
enum {
    CR_HDISP_END = 0x01,
    CR_OVERFLOW = 0x07,     /* bit 1: VDE bit 8, bit 6: VDE bit 9, bit 4: line compare bit 8 */
    CR_PRESET_ROW = 0x08,   /* bits 0-4: preset row scan, bits 5-6: byte panning */
    CR_MAX_SCAN = 0x09,     /* bits 0-4: max scan line, 6: line compare bit 9, 7: double scan */
    CR_CURSOR_START = 0x0a, /* bits 0-4, bit 5: cursor off */
    CR_CURSOR_END = 0x0b,
    CR_START_HI = 0x0c,
    CR_START_LO = 0x0d,
    CR_CURSOR_HI = 0x0e,
    CR_CURSOR_LO = 0x0f,
    CR_VRETRACE_END = 0x11, /* bit 7: registers 0-7 write-protected */
    CR_VDISP_END = 0x12,
    CR_OFFSET = 0x13,
    CR_UNDERLINE = 0x14, /* bits 0-4: underline scan line, bit 6: doubleword addressing */
    CR_MODE = 0x17,      /* bit 0: MA13 from row scan 0 when clear, bit 1: MA14 from row scan
                            1 when clear, bit 5: address wrap, bit 6: byte mode */
    CR_LINE_COMPARE = 0x18,
    CR_COUNT = 32,
};

/* Attribute controller registers (3C0/3C1), FreeVGA "Attribute Controller Registers". */
enum {
    AR_MODE = 0x10, /* bit 0: graphics, 1: mono, 2: line graphics, 3: blink, 5: pan compat,
                       6: 8-bit colour, 7: palette bits 5-4 from AR14 */
    AR_OVERSCAN = 0x11,
    AR_PLANE_ENABLE = 0x12,
    AR_PAN = 0x13,
    AR_COLOR_SELECT = 0x14,
    AR_COUNT = 32,
};
#define AR_INDEX_PAS 0x20 /* palette address source: set for normal display */

/* Bochs VBE dispi registers (index at 0x1CE, data at 0x1CF). */
enum {
    VBE_ID = 0x0,
    VBE_XRES = 0x1,
    VBE_YRES = 0x2,
    VBE_BPP = 0x3,
    VBE_ENABLE = 0x4,
    VBE_BANK = 0x5,
    VBE_VIRT_WIDTH = 0x6,
    VBE_VIRT_HEIGHT = 0x7,
    VBE_X_OFFSET = 0x8,
    VBE_Y_OFFSET = 0x9,
    VBE_VIDEO_MEMORY_64K = 0xa,
    VBE_NREGS = 0xb,
};
#define VBE_ID0         0xb0c0
#define VBE_ID5         0xb0c5
#define VBE_ENABLED     0x01
#define VBE_GETCAPS     0x02
#define VBE_8BIT_DAC    0x20
#define VBE_LFB_ENABLED 0x40
#define VBE_NOCLEARMEM  0x80
#define VBE_MAX_XRES    VGA_MAX_WIDTH
#define VBE_MAX_YRES    VGA_MAX_HEIGHT
#define VBE_MAX_BPP     32
#define VBE_PORT_INDEX  0x1ce

struct vga {
    struct machine *m;
    uint8_t *vram;             /* VGA_VRAM_SIZE bytes; planar byte (offset, plane) at
                                  4 * offset + plane, VBE pixels linear */
    struct mem_region *window; /* the legacy window, MMIO, decoded per GR_MISC */
    struct mem_region *lfb;    /* VRAM as RAM at the LFB address, hidden while unmapped */
    uint64_t lfb_base;         /* guest-physical LFB address, 0 = unmapped */
    uint8_t misc;              /* misc output: bit 0 colour CRTC ports, 1 RAM enable */
    uint8_t feature;           /* feature control */
    uint8_t vga_enable;        /* 3C3 video subsystem enable */
    uint8_t seq_index;         /* sequencer index */
    uint8_t seq[SR_COUNT];     /* sequencer registers */
    uint8_t gr_index;          /* graphics controller index */
    uint8_t gr[GR_COUNT];      /* graphics controller registers */
    uint8_t crtc_index;        /* CRT controller index */
    uint8_t crtc[CR_COUNT];    /* CRT controller registers */
    uint8_t ar_index;          /* attribute index, with AR_INDEX_PAS */
    bool ar_data_next;         /* attribute flip-flop: next 3C0 write is data */
    uint8_t ar[AR_COUNT];      /* attribute registers (palette 0-15, then 0x10-0x14) */
    uint8_t dac_mask;          /* 3C6 pixel mask */
    uint8_t dac_read_index;    /* 3C7: entry the next 3C9 read returns */
    uint8_t dac_write_index;   /* 3C8: entry the next 3C9 write completes */
    uint8_t dac_comp;          /* which of R, G, B the next 3C9 access is */
    bool dac_reading;          /* 3C7 state: last index write was to 3C7 */
    uint8_t dac_pending[3];    /* components of an entry being written */
    uint8_t dac[256][3];       /* palette, 6-bit values (8-bit with VBE_8BIT_DAC) */
    uint8_t latch[4];          /* the four plane latches, loaded by reads */
    uint16_t vbe_index;        /* dispi index */
    uint16_t vbe[VBE_NREGS];   /* dispi registers */
};

/* vga.c: the planar window path, also used by VBE 4-bpp modes. */
uint8_t vga_planar_read(struct vga *v, uint32_t off, uint32_t plane_base);
void vga_planar_write(struct vga *v, uint32_t off, uint32_t plane_base, uint8_t val);

/* vbe.c */
int vbe_init(struct vga *v);
void vbe_reset(struct vga *v);
void vbe_fini(struct vga *v);
bool vbe_enabled(const struct vga *v);
unsigned vbe_bytes_per_pixel(unsigned bpp); /* 0 for the planar 4-bpp depth */
uint8_t vbe_window_read(struct vga *v, uint32_t off);
void vbe_window_write(struct vga *v, uint32_t off, uint8_t val);

/* Geometry of an enabled VBE mode, clamped so every pixel lies in VRAM. */
struct vbe_geometry {
    unsigned width, height; /* visible pixels */
    unsigned bpp;           /* 4, 8, 15, 16, 24, 32 */
    uint32_t line_bytes;    /* bytes per line (per plane at 4 bpp) */
    uint32_t start;         /* byte (plane offset at 4 bpp) of the top-left pixel */
};
void vbe_geometry(const struct vga *v, struct vbe_geometry *g);

/* vga_render.c: DAC entry as XRGB. */
uint32_t vga_dac_rgb(const struct vga *v, uint8_t index);

#endif
