/*
 * No host x87 (every host but x86 and x86-64; meson's host_x87 chooses
 * this file): the FPU runs in portable code only (cpu/softfloat80.c and
 * the portable transcendentals of cpu/fpu_trans.c).
 */
#include "cpu/fpu_host.h"

bool fpu_host_available(void)
{
    return false;
}

void fpu_host_image(enum fpu_host_op op, struct fpu_host_image *img)
{
    __builtin_trap(); /* never called: fpu_host_available() is false */
}
