/*
 * `popek --version`: popek's own version and those of the libraries it was
 * built against and runs with.
 */
#include "frontend/version.h"

#include <SDL.h>
#include <Zydis/Zydis.h>
#include <capstone/capstone.h>
#include <glib.h>
#include <libslirp.h>
#include <stdio.h>

void version_print(FILE *out)
{
    ZyanU64 zv = ZydisGetVersion();
    int cs_major, cs_minor;
    cs_version(&cs_major, &cs_minor);
    SDL_version sdl;
    SDL_GetVersion(&sdl);
    fprintf(out, "popek %s\n", POPEK_VERSION);
    fprintf(out, "  Zydis %u.%u.%u\n", (unsigned)ZYDIS_VERSION_MAJOR(zv),
            (unsigned)ZYDIS_VERSION_MINOR(zv), (unsigned)ZYDIS_VERSION_PATCH(zv));
    fprintf(out, "  Capstone %d.%d\n", cs_major, cs_minor);
    fprintf(out, "  SDL %u.%u.%u\n", sdl.major, sdl.minor, sdl.patch);
    fprintf(out, "  glib %u.%u.%u\n", glib_major_version, glib_minor_version, glib_micro_version);
    fprintf(out, "  libslirp %s\n", slirp_version_string());
}
