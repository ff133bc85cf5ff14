/*
 * Dropped files into drives (see media_drop.h).
 */
#include "frontend/media_drop.h"

#include <glib.h>

#include "frontend/image_kind.h"
#include "pc/pc.h"

/* Whether any drive holds a medium (or a kernel is booted directly). */
static bool has_media(const struct pc *pc)
{
    for (unsigned i = 0; i < 2; i++) {
        if (pc->floppies[i])
            return true;
    }
    for (unsigned i = 0; i <= PC_MAX_DISKS; i++) {
        if (pc->disks[i])
            return true;
    }
    return pc->cfg.kernel != NULL;
}

char *media_drop(struct pc *pc, const char *path, bool *boot)
{
    enum image_kind kind;
    char *err = NULL, *note;
    char *name = g_path_get_basename(path);
    *boot = false;
    bool empty_before = !has_media(pc);
    if (image_classify(path, &kind, &err) < 0) {
        note = g_strdup(err);
    } else if (kind == IMAGE_DISK) {
        note = g_strdup_printf("%s: a hard-disk image cannot go in while the guest runs;\n"
                               "start popek with it: popek %s",
                               name, name);
    } else {
        enum pc_drive drive = kind == IMAGE_FLOPPY ? PC_DRIVE_FDA : PC_DRIVE_CDROM;
        if (pc_change_media(pc, drive, path, &err) < 0) {
            note = g_strdup_printf("%s: %s", name, err);
        } else {
            *boot = empty_before && pc->cfg.empty_drives;
            note = g_strdup_printf("%s in the %s drive%s", name, image_kind_name(kind),
                                   *boot ? ": booting it" : "");
        }
    }
    g_free(err);
    g_free(name);
    return note;
}
