/*
 * What the files of the gdb stub share: the stub's state, the framing
 * (gdbstub.c), the packets (gdbstub_packets.c), the register file as gdb
 * numbers it (gdbstub_regs.c), the monitor commands (gdbstub_monitor.c)
 * and the hex helpers of the protocol.
 */
#ifndef POPEK_FRONTEND_GDBSTUB_INTERNAL_H
#define POPEK_FRONTEND_GDBSTUB_INTERNAL_H

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "frontend/gdbstub.h"

/* The longest packet we take (announced as PacketSize), and the longest memory read. */
#define GDB_PACKET_MAX 0x4000
#define GDB_MEM_MAX    0x1000

/* Where the packet reader is in the byte stream. */
enum gdb_rx { RX_IDLE, RX_DATA, RX_SUM1, RX_SUM2 };

enum { BP_SW, BP_HW, BP_KINDS };

struct gdbstub {
    struct pc *pc;
    GSocket *listener;
    GSocket *client;
    bool drop; /* the client is to be closed after what is being handled */

    /* The packet being received. */
    enum gdb_rx rx;
    char *pkt; /* GDB_PACKET_MAX + 1 bytes */
    size_t pkt_len;
    bool pkt_overflow;
    uint8_t pkt_sum;    /* of the bytes received */
    int pkt_sum_high;   /* first checksum digit */
    GString *last_sent; /* for a '-' from gdb */

    /* Run control. */
    bool running;        /* gdb resumed the guest and waits for a stop reply */
    char stop_reply[64]; /* the last one, for '?' */
    uint32_t bp[BP_KINDS][CPU_MAX_BREAKPOINTS]; /* linear addresses */
    unsigned nbp[BP_KINDS];
    struct cpu_watchpoint watch[CPU_MAX_WATCHPOINTS]; /* as given to the CPU */
    unsigned nwatch;
    bool step_irq;   /* `monitor step-irq on`: interrupts may come in during a step */
    bool phys_mem;   /* `monitor phys on`: memory packets address guest-physical memory */
    gint64 start_us; /* creation time, for `monitor stats` */
};

/* Send one packet (escaped and framed here). */
void gdb_send(struct gdbstub *s, const char *data, size_t len);
void gdb_send_str(struct gdbstub *s, const char *str);

/* Pause the guest for gdb (the window says "waiting for gdb"), or let it run. */
void gdb_hold(struct gdbstub *s, bool hold);

/* --- packets (gdbstub_packets.c) ------------------------------------- */

/* Act on one packet that arrived intact (NUL-terminated; X data may hold NULs). */
void gdb_handle_packet(struct gdbstub *s, char *p, size_t len);
/* Ctrl-C from gdb: stop a running guest. */
void gdb_interrupt(struct gdbstub *s);
/* While the guest runs for gdb: report a breakpoint reached or a watchpoint hit. */
void gdb_check_stop(struct gdbstub *s);
/* Remove every breakpoint and watchpoint (gdb went away). */
void gdb_clear_debug_state(struct gdbstub *s);

/* --- hex ---------------------------------------------------------- */

static inline int gdb_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void gdb_hex_append(GString *out, const void *buf, size_t len);
/* Decode exactly `n` bytes from 2n hex digits at `hex`: 0, or -1 when one is not a digit. */
int gdb_hex_decode(const char *hex, uint8_t *out, size_t n);

/* --- registers (gdbstub_regs.c) -------------------------------------- */

/* How many registers the target description has (gdb's numbering 0..n-1). */
unsigned gdb_reg_count(void);
/* The target description, target.xml: a newly allocated string. */
char *gdb_target_xml(void);
/* Append register `n` (little-endian hex) or all of them (the 'g' packet). */
void gdb_reg_read(struct cpu *cpu, unsigned n, GString *out);
void gdb_regs_read(struct cpu *cpu, GString *out);
/* Set register `n` from its hex, or all of them ('G'): 0, or -1 when malformed. */
int gdb_reg_write(struct cpu *cpu, unsigned n, const char *hex, size_t len);
int gdb_regs_write(struct cpu *cpu, const char *hex, size_t len);

/* --- monitor commands (gdbstub_monitor.c) ---------------------------- */

/* Run `monitor CMD`; what it prints goes to `out`. */
void gdb_monitor(struct gdbstub *s, const char *cmd, GString *out);

#endif
