/* PageAnonExclusive (mm: "track exclusive anonymous pages", 5.19): fork clears the flag
 * on every anonymous page the parent shares with the child, and it comes back only when
 * a write fault reuses or copies the page (do_wp_page), not when the other side lets
 * go. mprotect back to writable (can_change_pte_writable) tests the flag, not the map
 * count. Each case: mprotect r, mprotect rw, write every page; prints the minor faults
 * of the write (getrusage).
 *   gcc -O1 -o anon_exclusive anon_exclusive.c && ./anon_exclusive */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#define PG 4096L
#define N 10

static long minflt(void) { struct rusage r; getrusage(RUSAGE_SELF, &r); return r.ru_minflt; }

static long cycle(char *a) {
    mprotect(a, N * PG, PROT_READ);
    mprotect(a, N * PG, PROT_READ | PROT_WRITE);
    long f0 = minflt();
    for (int i = 0; i < N; i++) a[i * PG] = 2;
    return minflt() - f0;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char *a = mmap(0, N * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < N; i++) a[i * PG] = 1;
    pid_t pid = fork();
    if (!pid) _exit(0); /* the child lets go of every page without touching it */
    waitpid(pid, 0, 0);
    printf("parent, child exited (pages mapped once, not exclusive): minflt %ld\n", cycle(a));
    printf("parent, again (the write faults made them exclusive): minflt %ld\n", cycle(a));

    char *b = mmap(0, N * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < N; i++) b[i * PG] = 1;
    pid = fork();
    if (!pid) { for (int i = 0; i < N; i++) b[i * PG] = 3; _exit(0); } /* child copies */
    waitpid(pid, 0, 0);
    printf("parent, child copied then exited: minflt %ld\n", cycle(b));
    return 0;
}
