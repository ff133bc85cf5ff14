/*
 * The `popek` program: parse the command line, build the machine, run it.
 */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "frontend/options.h"
#include "frontend/version.h"
#include "machine/machine.h"

/* Whether a window can be opened: the --display default. */
static bool display_available(void)
{
#ifdef __APPLE__
    return true;
#else
    return g_getenv("DISPLAY") || g_getenv("WAYLAND_DISPLAY");
#endif
}

int main(int argc, char **argv)
{
    struct popek_options opts;
    char *err = NULL;
    switch (options_parse(argc, argv, &opts, display_available(), &err)) {
    case OPTIONS_ERROR:
        fprintf(stderr, "popek: %s\n", err);
        g_free(err);
        options_free(&opts);
        return 1;
    case OPTIONS_EXIT:
        version_print(stdout);
        options_free(&opts);
        return 0;
    case OPTIONS_OK:
        break;
    }

    struct machine m;
    int rc = machine_init(&m, &(struct machine_config){.ram_mb = opts.memory_mb});
    if (rc < 0) {
        fprintf(stderr, "popek: cannot allocate %u MiB of guest RAM: %s\n", opts.memory_mb,
                g_strerror(-rc));
        options_free(&opts);
        return 1;
    }

    /* The vCPU does not exist yet: say so rather than pretend to run. */
    fprintf(stderr, "popek: cannot run a guest yet: the CPU is not implemented "
                    "(see the status table in README.md)\n");
    machine_destroy(&m);
    options_free(&opts);
    return 1;
}
