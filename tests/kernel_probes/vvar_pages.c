/* Which pages of [vvar] and [vvar_vclock] can be read (vvar_fault in lib/vdso/datastore.c,
 * vvar_vclock_fault in arch/x86/entry/vdso/vma.c, 6.13+): each page is read once, a
 * SIGBUS or SIGSEGV is caught and printed.
 *   gcc -O1 -o vvar_pages vvar_pages.c && ./vvar_pages */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
static sigjmp_buf jb; static volatile int sig;
static void h(int s, siginfo_t *si, void *u) { sig = s; siglongjmp(jb, 1); }
int main(void) {
    struct sigaction sa = {0}; sa.sa_sigaction = h; sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, 0); sigaction(SIGSEGV, &sa, 0);
    FILE *f = fopen("/proc/self/maps", "r"); char line[512];
    while (fgets(line, sizeof line, f)) {
        if (!strstr(line, "[vvar")) continue;
        unsigned long a, b; sscanf(line, "%lx-%lx", &a, &b);
        char *nl = strchr(line, '\n'); *nl = 0;
        for (unsigned long p = a; p < b; p += 4096) {
            sig = 0;
            if (!sigsetjmp(jb, 1)) { volatile char c = *(volatile char *)p; (void)c; }
            printf("%s +%lu: %s\n", strstr(line, "[vvar"), (p - a) / 4096, sig == SIGBUS ? "SIGBUS" : sig == SIGSEGV ? "SIGSEGV" : "read ok");
        }
    }
    return 0;
}
