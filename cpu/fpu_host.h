/*
 * The host's own x87, where there is one (x86 and x86-64 hosts), for the
 * transcendental instructions: the guest's FPU image is loaded into the
 * host FPU, the instruction runs there, and the image is saved back, so
 * results, exception flags, condition codes and stack faults are the
 * hardware's own (cpu/fpu_host_x87.c). On other hosts (cpu/fpu_host_none.c;
 * meson chooses by host) fpu_host_available() is false and nothing else
 * here may be called.
 *
 * The basic arithmetic is not done here: cpu/softfloat80.c is bit-exact
 * with the x87 and, measured, 2.5 to 6 times faster than a round trip
 * through the host FPU (FLDCW, FNCLEX and FNSTSW cost more than the
 * arithmetic).
 */
#ifndef POPEK_CPU_FPU_HOST_H
#define POPEK_CPU_FPU_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/softfloat80.h"

/* Instructions run on a whole FPU image (they push or pop). */
enum fpu_host_op {
    FPU_HOST_SIN,
    FPU_HOST_COS,
    FPU_HOST_SINCOS,
    FPU_HOST_PTAN,
    FPU_HOST_PATAN,
    FPU_HOST_2XM1,
    FPU_HOST_YL2X,
    FPU_HOST_YL2XP1,
};

/* The 108-byte FSAVE image (32-bit protected-mode layout, SDM Vol. 1 Figure 8-12). */
struct fpu_host_image {
    uint8_t bytes[108];
};

bool fpu_host_available(void);

/* Restore `img` into the host FPU, run `op`, save the state back into `img`. */
void fpu_host_image(enum fpu_host_op op, struct fpu_host_image *img);

#endif
