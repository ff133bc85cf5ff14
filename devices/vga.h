/*
 * A standard IBM VGA with the Bochs VBE "dispi" extension: the adapter
 * SeaBIOS's vgabios-stdvga.bin programs. Registers on their ISA ports,
 * 256 KiB of planar memory behind the legacy window at 0xA0000-0xBFFFF,
 * 16 MiB of VRAM in all for VBE modes (banked through the window, or linear
 * at the address the PCI layer gives with vga_map_lfb), and a renderer that
 * draws the current screen into a 32-bit XRGB buffer.
 *
 * Board wiring: create after machine_init; destroy before machine_destroy
 * (the VGA's memory regions are hidden on destroy, and the map still holds
 * them). The PCI layer owns the framebuffer BAR (16 MiB, vga_vram_size())
 * and calls vga_map_lfb with its base whenever the BAR or the command
 * register's memory-enable bit changes, and vga_map_lfb(vga, 0) at reset.
 */
#ifndef POPEK_DEVICES_VGA_H
#define POPEK_DEVICES_VGA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;
struct vga;

/* The largest screen vga_render draws; a bigger mode is clipped to it. */
#define VGA_MAX_WIDTH  2560
#define VGA_MAX_HEIGHT 1600

enum vga_mode_kind {
    VGA_MODE_OFF,      /* screen blanked, or no sensible timing programmed */
    VGA_MODE_TEXT,     /* alphanumeric mode: characters from plane 0/1, font in plane 2 */
    VGA_MODE_GRAPHICS, /* CGA, EGA/VGA planar, 256-colour modes */
    VGA_MODE_VBE,      /* Bochs VBE dispi mode */
};

struct vga *vga_create(struct machine *m);
void vga_destroy(struct vga *vga);

/* Power-on state: registers cleared, VBE disabled, VRAM zeroed. The LFB mapping is kept. */
void vga_reset(struct vga *vga);

/* Show the whole VRAM at guest-physical `base` (its PCI BAR), or hide it (base 0). */
void vga_map_lfb(struct vga *vga, uint64_t base);

/* Bytes of VRAM (the size of the framebuffer BAR). */
uint64_t vga_vram_size(void);

enum vga_mode_kind vga_mode(struct vga *vga);

/* The size vga_render will draw now, at most VGA_MAX_WIDTH x VGA_MAX_HEIGHT. */
void vga_screen_size(struct vga *vga, unsigned *w, unsigned *h);

/*
 * Draw the screen as 0x00RRGGBB pixels, row y at rgb + y * stride_pixels.
 * The buffer must hold the size vga_screen_size just gave (rows of at least
 * that width); *width and *height say what was drawn. Text blinking and the
 * cursor follow virtual time.
 */
void vga_render(struct vga *vga, uint32_t *rgb, unsigned stride_pixels, unsigned *width,
                unsigned *height);

/*
 * Change tracking for a window that redraws only when the picture changed.
 * A struct vga_seen remembers everything vga_render draws from: the
 * registers, the DAC, the VRAM bytes the current mode shows (copied: the
 * CPU writes the linear framebuffer directly, unseen by the VGA) and, in
 * text modes, the blink phase of the cursor and blinking characters.
 */
struct vga_seen;
struct vga_seen *vga_seen_new(void);
void vga_seen_free(struct vga_seen *seen);

/*
 * Whether vga_render would draw anything else now than when `seen` was
 * last updated (always true the first time), and update it. Costs a
 * comparison of the VRAM the mode shows: 256 KiB for the VGA's own modes,
 * the visible lines in VBE modes; a copy of what changed.
 */
bool vga_screen_changed(struct vga *vga, struct vga_seen *seen);

/*
 * The characters of text row `row` as ASCII (code page 437 letters, digits
 * and punctuation as themselves, blank glyphs as spaces, the rest '?'),
 * NUL-terminated in out[outlen]. False when not in a text mode or past the
 * last row.
 */
bool vga_text_row(struct vga *vga, unsigned row, char *out, size_t outlen);

#endif
