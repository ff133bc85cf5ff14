/*
 * Changing media while the guest runs: a floppy or a CD put in or taken
 * out from the monitor or by dropping a file onto the window, as a DOS
 * installer asking for the next disk expects. The drive reports the change
 * the way the real one does (the 82077's disk-change line in DIR bit 7,
 * the ATAPI drive's UNIT ATTENTION); the board owns the open images.
 */
#include <glib.h>

#include "devices/fdc.h"
#include "devices/ide.h"
#include "machine/blockdev.h"
#include "pc/pc.h"

static const char *const drive_names[PC_DRIVES] = {"fda", "fdb", "cdrom"};

const char *pc_drive_name(enum pc_drive drive)
{
    return drive < PC_DRIVES ? drive_names[drive] : "?";
}

int pc_drive_by_name(const char *name)
{
    for (int i = 0; i < PC_DRIVES; i++) {
        if (!g_strcmp0(name, drive_names[i]))
            return i;
    }
    return -1;
}

/* Open `path` for `drive` (NULL path: no image). 0, or -1 with *err. */
static int open_image(struct pc *pc, enum pc_drive drive, const char *path, struct blockdev **out,
                      char **err)
{
    *out = NULL;
    if (!path)
        return 0;
    enum blockdev_mode mode = drive == PC_DRIVE_CDROM ? BLOCKDEV_RO
                              : pc->cfg.snapshot      ? BLOCKDEV_SNAPSHOT
                                                      : BLOCKDEV_RW;
    struct blockdev *bd = g_new0(struct blockdev, 1);
    bool ro = false;
    if (blockdev_open(bd, path, mode, &ro, err) < 0) {
        g_free(bd);
        return -1;
    }
    if (ro)
        g_printerr("popek: warning: %s is not writable: the floppy is write-protected\n", path);
    if (drive == PC_DRIVE_CDROM)
        pc_warn_partial_block(bd, PC_CDROM_BLOCK, "CD-ROM block");
    *out = bd;
    return 0;
}

static void close_image(struct blockdev *bd)
{
    if (bd) {
        blockdev_close(bd);
        g_free(bd);
    }
}

/* The floppy drive: only one the guest's BIOS knows (a drive type in CMOS) takes a disk. */
static int change_floppy(struct pc *pc, unsigned n, struct blockdev *bd, char **err)
{
    if (fdc_drive_type(pc->fdc, n) == FDC_TYPE_NONE) {
        *err = g_strdup_printf("there is no floppy drive %s: (start popek with --fd%c=FILE)",
                               n ? "B" : "A", n ? 'b' : 'a');
        return -1;
    }
    if (fdc_attach(pc->fdc, n, bd, err) < 0)
        return -1;
    close_image(pc->floppies[n]);
    pc->floppies[n] = bd;
    return 0;
}

static int change_cdrom(struct pc *pc, struct blockdev *bd, char **err)
{
    unsigned slot = pc->cdrom_slot;
    if (!slot) {
        *err = g_strdup("there is no CD-ROM drive (start popek with --cdrom=FILE)");
        return -1;
    }
    if (ide_change_cdrom(pc->ide, slot / 2, slot % 2, bd) < 0) {
        *err = g_strdup("the guest has locked the CD-ROM tray");
        return -1;
    }
    close_image(pc->disks[PC_MAX_DISKS]);
    pc->disks[PC_MAX_DISKS] = bd;
    return 0;
}

int pc_change_media(struct pc *pc, enum pc_drive drive, const char *path, char **err)
{
    struct blockdev *bd;
    if (drive >= PC_DRIVES) {
        *err = g_strdup("no such drive");
        return -1;
    }
    if (open_image(pc, drive, path, &bd, err) < 0)
        return -1;
    int r = drive == PC_DRIVE_CDROM ? change_cdrom(pc, bd, err)
                                    : change_floppy(pc, drive - PC_DRIVE_FDA, bd, err);
    if (r < 0)
        close_image(bd);
    return r;
}
