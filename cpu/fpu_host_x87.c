/*
 * The host x87 behind a small interface (see fpu_host.h), built on x86 and
 * x86-64 hosts (meson's host_x87; cpu/fpu_host_none.c elsewhere): the only
 * file of cpu/ with inline assembly. Every sequence leaves the host FPU as it
 * found it: empty stack, the host's control word, no pending exception
 * (FNSAVE is non-waiting, so an unmasked guest exception never traps on
 * the host).
 */
#include "cpu/fpu_host.h"

#define X87_CLOBBERS "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)"

bool fpu_host_available(void)
{
    return true;
}

/*
 * FRSTOR the image, run `insn`, FNSAVE it back (which also reinitializes
 * the host FPU), and give the host its control word again.
 */
#define X87_IMAGE(insn)                                                                            \
    "fnstcw %[host]\n\t"                                                                           \
    "frstor %[img]\n\t" insn "\n\t"                                                                \
    "fnsave %[img]\n\t"                                                                            \
    "fldcw %[host]"

void fpu_host_image(enum fpu_host_op op, struct fpu_host_image *img)
{
    uint16_t host = 0;
    switch (op) {
    case FPU_HOST_SIN:
        __asm__ volatile(X87_IMAGE("fsin") : [img] "+m"(*img), [host] "=m"(host) : : X87_CLOBBERS);
        break;
    case FPU_HOST_COS:
        __asm__ volatile(X87_IMAGE("fcos") : [img] "+m"(*img), [host] "=m"(host) : : X87_CLOBBERS);
        break;
    case FPU_HOST_SINCOS:
        __asm__ volatile(X87_IMAGE("fsincos")
                         : [img] "+m"(*img), [host] "=m"(host)
                         :
                         : X87_CLOBBERS);
        break;
    case FPU_HOST_PTAN:
        __asm__ volatile(X87_IMAGE("fptan") : [img] "+m"(*img), [host] "=m"(host) : : X87_CLOBBERS);
        break;
    case FPU_HOST_PATAN:
        __asm__ volatile(X87_IMAGE("fpatan")
                         : [img] "+m"(*img), [host] "=m"(host)
                         :
                         : X87_CLOBBERS);
        break;
    case FPU_HOST_2XM1:
        __asm__ volatile(X87_IMAGE("f2xm1") : [img] "+m"(*img), [host] "=m"(host) : : X87_CLOBBERS);
        break;
    case FPU_HOST_YL2X:
        __asm__ volatile(X87_IMAGE("fyl2x") : [img] "+m"(*img), [host] "=m"(host) : : X87_CLOBBERS);
        break;
    case FPU_HOST_YL2XP1:
        __asm__ volatile(X87_IMAGE("fyl2xp1")
                         : [img] "+m"(*img), [host] "=m"(host)
                         :
                         : X87_CLOBBERS);
        break;
    }
}
