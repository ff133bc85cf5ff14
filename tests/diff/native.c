/*
 * The native side of the differential test: a standalone helper that runs
 * the test cases test_diff sends it (protocol.h) on the host CPU and
 * answers with the resulting registers, flags and scratch memory.
 *
 * It is built on its own, with no project libraries, normally with -m32 so
 * that the code runs in 32-bit protected mode exactly as the guest would.
 * On an x86-64 host whose kernel cannot run 32-bit programs it can also be
 * built as a 64-bit program: every instruction the generator emits in that
 * mode (no BCD instructions, no one-byte INC/DEC, which are REX prefixes
 * there) computes the same low 32 bits and flags in 64-bit mode, given
 * zero-extended register values and addresses below 4 GiB.
 *
 * Per case: map the scratch image at the fixed DIFF_SCRATCH_ADDR, copy the
 * code into an RWX page followed by a jump back to an epilogue, load the
 * registers and flags (POPFD), run, store registers and PUSHFD'd flags.
 * #DE, #UD, #GP and #PF arrive as signals; the handler records the state of
 * the faulting instruction and leaves with siglongjmp.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "protocol.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#if !defined(__i386__) && !defined(__x86_64__)
#error "the native diff helper runs x86 code: build it for i386 (-m32) or x86-64"
#endif

/* What the trampoline loads and stores; offsets are used by the assembly below. */
struct native_ctx {
    uint32_t regs[8]; /* 0: EAX ECX EDX EBX ESP EBP ESI EDI */
    uint32_t eflags;  /* 32 */
    uint32_t pad;     /* 36 */
    uintptr_t code;   /* 40: where to jump */
};

_Static_assert(offsetof(struct native_ctx, eflags) == 32, "trampoline layout");
_Static_assert(offsetof(struct native_ctx, code) == 40, "trampoline layout");

void native_enter(struct native_ctx *ctx);
void native_exit(void);

/*
 * native_enter saves the host's callee-saved registers, keeps ctx on the
 * stack (the generated code never touches ESP), loads the case's flags and
 * registers and "returns" into the code. The code ends with a jump to
 * native_exit, which finds ctx on the stack again, stores everything and
 * returns to native_enter's caller with DF clear, as the ABI wants.
 */
#if defined(__i386__)
__asm__(".text\n"
        ".globl native_enter\n"
        ".type native_enter, @function\n"
        "native_enter:\n"
        "    push %ebp\n"
        "    push %ebx\n"
        "    push %esi\n"
        "    push %edi\n"
        "    mov 20(%esp), %eax\n"
        "    push %eax\n"
        "    pushl 32(%eax)\n"
        "    popfl\n"
        "    mov 4(%eax), %ecx\n"
        "    mov 8(%eax), %edx\n"
        "    mov 12(%eax), %ebx\n"
        "    mov 20(%eax), %ebp\n"
        "    mov 24(%eax), %esi\n"
        "    mov 28(%eax), %edi\n"
        "    pushl 40(%eax)\n"
        "    mov 0(%eax), %eax\n"
        "    ret\n"
        ".size native_enter, . - native_enter\n"
        ".globl native_exit\n"
        ".type native_exit, @function\n"
        "native_exit:\n"
        "    pushfl\n"
        "    push %eax\n"
        "    mov 8(%esp), %eax\n"
        "    popl 0(%eax)\n"
        "    popl 32(%eax)\n"
        "    mov %ecx, 4(%eax)\n"
        "    mov %edx, 8(%eax)\n"
        "    mov %ebx, 12(%eax)\n"
        "    mov %ebp, 20(%eax)\n"
        "    mov %esi, 24(%eax)\n"
        "    mov %edi, 28(%eax)\n"
        "    add $4, %esp\n"
        "    cld\n"
        "    pop %edi\n"
        "    pop %esi\n"
        "    pop %ebx\n"
        "    pop %ebp\n"
        "    ret\n"
        ".size native_exit, . - native_exit\n");
#else
__asm__(".text\n"
        ".globl native_enter\n"
        ".type native_enter, @function\n"
        "native_enter:\n"
        "    push %rbp\n"
        "    push %rbx\n"
        "    push %r12\n"
        "    push %r13\n"
        "    push %r14\n"
        "    push %r15\n"
        "    push %rdi\n"
        "    mov 32(%rdi), %eax\n"
        "    push %rax\n"
        "    popfq\n"
        "    mov 4(%rdi), %ecx\n"
        "    mov 8(%rdi), %edx\n"
        "    mov 12(%rdi), %ebx\n"
        "    mov 20(%rdi), %ebp\n"
        "    mov 24(%rdi), %esi\n"
        "    pushq 40(%rdi)\n"
        "    mov 0(%rdi), %eax\n"
        "    mov 28(%rdi), %edi\n"
        "    ret\n"
        ".size native_enter, . - native_enter\n"
        ".globl native_exit\n"
        ".type native_exit, @function\n"
        "native_exit:\n"
        "    pushfq\n"
        "    push %rax\n"
        "    mov 16(%rsp), %rax\n"
        "    mov %ecx, 4(%rax)\n"
        "    mov %edx, 8(%rax)\n"
        "    mov %ebx, 12(%rax)\n"
        "    mov %ebp, 20(%rax)\n"
        "    mov %esi, 24(%rax)\n"
        "    mov %edi, 28(%rax)\n"
        "    pop %rcx\n"
        "    mov %ecx, 0(%rax)\n"
        "    pop %rcx\n"
        "    mov %ecx, 32(%rax)\n"
        "    add $8, %rsp\n"
        "    cld\n"
        "    pop %r15\n"
        "    pop %r14\n"
        "    pop %r13\n"
        "    pop %r12\n"
        "    pop %rbx\n"
        "    pop %rbp\n"
        "    ret\n"
        ".size native_exit, . - native_exit\n");
#endif

/* Signal state: the one place this helper keeps globals. */
static sigjmp_buf fault_jmp;
static volatile sig_atomic_t in_case;
static struct diff_reply *fault_reply;
static uintptr_t code_base;

#define CODE_PAGE_SIZE 4096u

static void on_fault(int sig, siginfo_t *si, void *uc_void)
{
    ucontext_t *uc = uc_void;
    greg_t *g = uc->uc_mcontext.gregs;
    struct diff_reply *r = fault_reply;

    /* Linux clears DF for handlers as the ABI wants; qemu-user does not. */
    __asm__ volatile("cld" ::: "memory");
    if (!in_case) {
        /* A fault in the helper itself: die with the default action. */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
#if defined(__i386__)
    r->regs[0] = (uint32_t)g[REG_EAX];
    r->regs[1] = (uint32_t)g[REG_ECX];
    r->regs[2] = (uint32_t)g[REG_EDX];
    r->regs[3] = (uint32_t)g[REG_EBX];
    r->regs[4] = (uint32_t)g[REG_ESP];
    r->regs[5] = (uint32_t)g[REG_EBP];
    r->regs[6] = (uint32_t)g[REG_ESI];
    r->regs[7] = (uint32_t)g[REG_EDI];
    r->eflags = (uint32_t)g[REG_EFL];
    r->exception = (uint32_t)g[REG_TRAPNO];
    r->fault_eip = (uint32_t)((uintptr_t)g[REG_EIP] - code_base);
#else
    r->regs[0] = (uint32_t)g[REG_RAX];
    r->regs[1] = (uint32_t)g[REG_RCX];
    r->regs[2] = (uint32_t)g[REG_RDX];
    r->regs[3] = (uint32_t)g[REG_RBX];
    r->regs[4] = (uint32_t)g[REG_RSP];
    r->regs[5] = (uint32_t)g[REG_RBP];
    r->regs[6] = (uint32_t)g[REG_RSI];
    r->regs[7] = (uint32_t)g[REG_RDI];
    r->eflags = (uint32_t)g[REG_EFL];
    r->exception = (uint32_t)g[REG_TRAPNO];
    r->fault_eip = (uint32_t)((uintptr_t)g[REG_RIP] - code_base);
#endif
    /* Anything that is not a CPU exception (a signal from outside) is #UD to the test. */
    if (sig == SIGILL && r->exception != 6)
        r->exception = 6;
    if (sig == SIGFPE && r->exception != 0)
        r->exception = 0;
    /* Emulators (qemu-user) may leave the trap number out: #PF for an unmapped address. */
    if ((sig == SIGSEGV || sig == SIGBUS) && r->exception != 13 && r->exception != 14)
        r->exception = si->si_code == SEGV_MAPERR || si->si_code == SEGV_ACCERR ? 14 : 13;
    in_case = 0;
    siglongjmp(fault_jmp, 1);
}

static void install_handlers(void)
{
    static const int sigs[] = {SIGFPE, SIGSEGV, SIGILL, SIGBUS, SIGTRAP};
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        if (sigaction(sigs[i], &sa, NULL) != 0) {
            perror("diff_native: sigaction");
            exit(2);
        }
    }
}

/* Append a jump from `at` to native_exit; returns the bytes written. */
static size_t put_exit_jump(uint8_t *at)
{
    uintptr_t target = (uintptr_t)&native_exit;
#if defined(__i386__)
    uint32_t rel = (uint32_t)(target - ((uintptr_t)at + 5));

    at[0] = 0xe9; /* jmp rel32 */
    memcpy(at + 1, &rel, 4);
    return 5;
#else
    uint64_t abs = target;

    at[0] = 0xff; /* jmp *0(%rip), then the 8-byte address */
    at[1] = 0x25;
    memset(at + 2, 0, 4);
    memcpy(at + 6, &abs, 8);
    return 14;
#endif
}

static void run_case(const struct diff_request *q, struct diff_reply *r, uint8_t *scratch,
                     uint8_t *code)
{
    /* Static so that its value survives siglongjmp without volatile games. */
    static struct native_ctx ctx;
    uint32_t len = q->code_len > DIFF_CODE_MAX ? DIFF_CODE_MAX : q->code_len;

    memset(r, 0, sizeof(*r));
    r->magic = DIFF_MAGIC_REPLY;
    memcpy(scratch, q->scratch, DIFF_SCRATCH_SIZE);
    memcpy(code, q->code, len);
    put_exit_jump(code + len);

    memcpy(ctx.regs, q->regs, sizeof(ctx.regs));
    ctx.eflags = 0x2u | (q->eflags & DIFF_FLAGS_IN);
    ctx.code = (uintptr_t)code;

    fault_reply = r;
    if (sigsetjmp(fault_jmp, 1) == 0) {
        in_case = 1;
        native_enter(&ctx);
        in_case = 0;
        memcpy(r->regs, ctx.regs, sizeof(r->regs));
        r->eflags = ctx.eflags;
        r->exception = DIFF_NO_EXCEPTION;
        r->fault_eip = len;
    }
    /* ESP is the helper's own: report the input so that it never differs. */
    r->regs[4] = q->regs[4];
    memcpy(r->scratch, scratch, DIFF_SCRATCH_SIZE);
}

/* Read exactly `len` bytes; 0 at a clean EOF before the first byte, -1 on errors. */
static int read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t n = read(fd, (uint8_t *)buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return got == 0 && n == 0 ? 0 : -1;
        got += (size_t)n;
    }
    return 1;
}

static int write_full(int fd, const void *buf, size_t len)
{
    size_t put = 0;

    while (put < len) {
        ssize_t n = write(fd, (const uint8_t *)buf + put, len - put);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        put += (size_t)n;
    }
    return 0;
}

static int input_pending(void)
{
    struct pollfd p = {.fd = 0, .events = POLLIN};

    return poll(&p, 1, 0) > 0;
}

#define REPLY_BATCH 64

int main(void)
{
    static struct diff_request req;
    static struct diff_reply replies[REPLY_BATCH];
    unsigned nreplies = 0;
    uint8_t *scratch, *code;

    scratch = mmap((void *)(uintptr_t)DIFF_SCRATCH_ADDR, DIFF_SCRATCH_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (scratch == MAP_FAILED || (uintptr_t)scratch != DIFF_SCRATCH_ADDR) {
        fprintf(stderr, "diff_native: cannot map the scratch page at 0x%x: %s\n", DIFF_SCRATCH_ADDR,
                strerror(errno));
        return 2;
    }
    code = mmap(NULL, CODE_PAGE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        perror("diff_native: cannot map an RWX code page");
        return 2;
    }
    code_base = (uintptr_t)code;
    install_handlers();

    /* Say which mode the code runs in, so the generator knows what it may emit. */
    {
        struct diff_hello h = {.magic = DIFF_MAGIC_HELLO, .bits = sizeof(void *) * 8};
        if (write_full(1, &h, sizeof(h)) != 0)
            return 2;
    }

    for (;;) {
        int rc = read_full(0, &req, sizeof(req));
        if (rc <= 0) {
            if (nreplies)
                write_full(1, replies, nreplies * sizeof(replies[0]));
            if (rc < 0)
                fprintf(stderr, "diff_native: truncated request\n");
            return rc < 0 ? 2 : 0;
        }
        if (req.magic != DIFF_MAGIC_REQUEST) {
            fprintf(stderr, "diff_native: bad request magic 0x%08x\n", req.magic);
            return 2;
        }
        run_case(&req, &replies[nreplies++], scratch, code);
        /* Answer a batch at once, or as soon as the other side waits for us. */
        if (nreplies == REPLY_BATCH || !input_pending()) {
            if (write_full(1, replies, nreplies * sizeof(replies[0])) != 0)
                return 2;
            nreplies = 0;
        }
    }
}
