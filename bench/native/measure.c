/*
 * Run one command and measure it: wall time from just before the fork to
 * just after the child is reaped, and the child's peak resident set size.
 * Used by bench/run for every measurement, so that popek, QEMU and the
 * native programs are all timed the same way.
 *
 *   measure [-t SECONDS] -o FILE -- COMMAND [ARG...]
 *
 * FILE gets one line: "SECONDS MAXRSS_KIB STATUS", where STATUS is the
 * child's exit status, 128 + the signal that ended it, or 124 when it ran
 * past -t (it is then sent SIGTERM, and SIGKILL 5 s later). measure exits
 * with STATUS too, and with 127 when the command cannot be started.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alarmed;

static void on_alarm(int sig)
{
    (void)sig;
    alarmed = 1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
    fprintf(stderr, "usage: measure [-t SECONDS] -o FILE -- COMMAND [ARG...]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    double limit = 0;
    const char *out = NULL;
    int i = 1;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else if (!strcmp(argv[i], "-t") && i + 1 < argc) {
            limit = strtod(argv[++i], NULL);
        } else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            out = argv[++i];
        } else {
            usage();
        }
    }
    if (!out || i >= argc)
        usage();

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART: wait4 returns EINTR */

    double start = now();
    pid_t pid = fork();
    if (pid < 0) {
        perror("measure: fork");
        return 127;
    }
    if (pid == 0) {
        execvp(argv[i], argv + i);
        fprintf(stderr, "measure: cannot run %s: %s\n", argv[i], strerror(errno));
        _exit(127);
    }
    if (limit > 0) {
        struct itimerval it = {{0, 0},
                               {(time_t)limit, (suseconds_t)((limit - (time_t)limit) * 1e6)}};
        setitimer(ITIMER_REAL, &it, NULL);
    }

    int status = 0, timed_out = 0;
    struct rusage ru;
    for (;;) {
        pid_t r = wait4(pid, &status, 0, &ru);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            perror("measure: wait4");
            return 127;
        }
        if (alarmed) {
            alarmed = 0;
            if (!timed_out) {
                timed_out = 1;
                fprintf(stderr, "measure: %s ran past %.0f s; stopping it\n", argv[i], limit);
                kill(pid, SIGTERM);
                struct itimerval it = {{0, 0}, {5, 0}};
                setitimer(ITIMER_REAL, &it, NULL);
            } else {
                kill(pid, SIGKILL);
            }
        }
    }
    double seconds = now() - start;

    int code;
    if (timed_out)
        code = 124;
    else if (WIFEXITED(status))
        code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        code = 128 + WTERMSIG(status);
    else
        code = 127;
#ifdef __APPLE__
    long rss_kib = (long)(ru.ru_maxrss / 1024); /* bytes on macOS */
#else
    long rss_kib = (long)ru.ru_maxrss; /* KiB on Linux */
#endif
    FILE *f = fopen(out, "w");
    if (!f) {
        fprintf(stderr, "measure: cannot write %s: %s\n", out, strerror(errno));
        return 127;
    }
    fprintf(f, "%.6f %ld %d\n", seconds, rss_kib, code);
    fclose(f);
    return code;
}
