/*
 * Running popek for the gdb stub's tests: a BIOS image with a small test
 * program, popek started with `--gdb=tcp:127.0.0.1:0` (the stub prints
 * the port it got), a connection to it, and its exit status.
 */
#ifndef POPEK_TESTS_GDB_HARNESS_H
#define POPEK_TESTS_GDB_HARNESS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * The test program's layout. The BIOS image jumps from the reset vector
 * (F000:FFF0) to ROM_HOP (F000:0100), which jumps to 0000:7C00, where the
 * test has put PROGRAM with an X packet (or the image holds a copy that
 * ROM_HOP copies down: see harness.c).
 */
#define ROM_HOP_LINEAR 0xf0100u
#define PROG_BASE      0x7c00u
#define PROG_BP        0x7c04u /* mov ax, 0x1234 */
#define PROG_STORE     0x7c07u /* mov [0x500], ax */
#define PROG_AFTER     0x7c0au /* inc ax: where a write watchpoint on 0x500 stops */
#define PROG_SPIN      0x7c0bu /* jmp $ */
#define PROG_UD2       0x7c0du /* ud2: #UD */
#define PROG_EXIT      0x7c10u /* mov al, 0x21; out 0xf4, al: debug exit, status 0x43 */
#define PROG_HANDLER   0x7c20u /* nop; jmp $: a #UD handler when the IVT points here */
#define PROG_DATA      0x500u  /* what PROG_STORE writes (0x1234) */

/* The program's bytes, to be written at PROG_BASE. */
extern const uint8_t test_program[];
extern const size_t test_program_len;

struct popek_proc {
    GPid pid;
    int err_fd;    /* popek's standard error */
    unsigned port; /* where the stub listens */
    char *rom;     /* the BIOS image file */
    int status;    /* exit status once reaped, else -1 */
};

/* Write the test BIOS image to a temporary file; returns its path. See popek_start. */
char *popek_write_rom(bool with_program);

/*
 * Start popek with the test BIOS, `--display=none`, the gdb stub on an
 * ephemeral loopback port, the tier POPEK_TIER names (when set: `--tier=N
 * --tc-threshold=0`) and `extra` arguments (NULL-terminated); return
 * once the stub listens. `with_program`: the BIOS copies the program to
 * PROG_BASE itself (for a guest that runs before gdb attaches).
 */
void popek_start(struct popek_proc *p, bool with_program, const char *const *extra);

/* A TCP connection to the stub (receive timeout 10 s). */
int popek_connect(const struct popek_proc *p);

/* Wait up to `seconds` for popek to exit: its exit status, or -1 (then it is killed). */
int popek_wait(struct popek_proc *p, double seconds);

/* Kill popek if it still runs and remove the image. */
void popek_cleanup(struct popek_proc *p);

#endif
