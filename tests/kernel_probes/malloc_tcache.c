/* glibc's per-thread cache (tcache) as the brk heap shows it. Nothing is printed until the
 * allocations below are done, so that stdio's own buffer (a malloc) comes after them.
 * Offsets are from the program break before the first malloc (the heap's start).
 * With the argument "first-big", the first malloc is malloc(1M) instead, and the probe
 * prints how far the program break moved.
 *   gcc -O0 -o malloc_tcache malloc_tcache.c && ./malloc_tcache && ./malloc_tcache first-big */
#define _GNU_SOURCE
#include <gnu/libc-version.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *heap;
static long off(void *p) { return (char *)p - heap; }
static size_t size_field(void *mem) { return ((size_t *)mem)[-1]; }
/* tcache_perthread_struct: uint16_t counts[64], then the 64 entries */
static unsigned counts(int idx) { return ((uint16_t *)(heap + 0x10))[idx]; }

int main(int argc, char **argv) {
    heap = sbrk(0);
    if (argc > 1 && !strcmp(argv[1], "first-big")) {
        void *big = malloc(1 << 20);
        char *brk_now = sbrk(0);
        printf("first malloc(1M): the break moved by %#lx; the block is %s the heap, "
               "size field %#lx\n", brk_now - heap,
               (char *)big >= heap && (char *)big < brk_now ? "inside" : "outside",
               size_field(big));
        printf("tcache_perthread_struct chunk at heap+0x0, size field %#lx\n",
               size_field(heap + 0x10));
        return 0;
    }
    long r[40];
    int n = 0;
    void *p1 = malloc(100);                  /* chunk 0x70, tcache bin 5 */
    r[n++] = size_field(heap + 0x10);        /* the tcache_perthread_struct chunk */
    r[n++] = off(p1);
    r[n++] = size_field(p1);
    free(p1);                                /* to the tcache: the top does not grow back */
    r[n++] = counts(5);
    void *q = malloc(200);                   /* chunk 0xd0: tcache bin 11 is empty: top */
    r[n++] = off(q);
    void *p2 = malloc(100);                  /* tcache_get: p1 again */
    r[n++] = off(p2);
    r[n++] = counts(5);
    /* LIFO: free a, b, c; malloc three times gives c, b, a */
    void *a = malloc(100), *b = malloc(100), *c = malloc(100);
    r[n++] = off(a); r[n++] = off(b); r[n++] = off(c);
    free(a); free(b); free(c);
    void *x = malloc(100), *y = malloc(100), *z = malloc(100);
    r[n++] = off(x); r[n++] = off(y); r[n++] = off(z);
    /* seven fill a bin, the eighth goes past it (count stays 7) */
    void *e[8];
    for (int i = 0; i < 8; i++) e[i] = malloc(40);    /* chunk 0x30, bin 1 */
    void *guard = malloc(40);
    for (int i = 0; i < 8; i++) free(e[i]);
    r[n++] = counts(1);
    int order[8];                            /* which e[] each of eight malloc(40) returns */
    for (int i = 0; i < 8; i++) {
        void *got = malloc(40);
        order[i] = -1;
        for (int j = 0; j < 8; j++) if (got == e[j]) order[i] = j;
    }
    /* the largest tcache size: malloc(1032) is chunk 0x410, bin 63; malloc(1033) is 0x420 */
    /* then malloc(1000) (chunk 0x3f0, bin 61, empty): from the top, or the freed chunk */
    void *big = malloc(1032), *g2 = malloc(16);
    size_t s1 = size_field(big);
    free(big);
    r[n++] = counts(63);
    r[n++] = s1;
    r[n++] = malloc(1000) == big;
    void *big2 = malloc(1033), *g3 = malloc(16);
    size_t s2 = size_field(big2);
    free(big2);
    r[n++] = counts(63);
    r[n++] = s2;
    r[n++] = malloc(1000) == big2;
    (void)guard; (void)g2; (void)g3; (void)x; (void)y; (void)z; (void)q; (void)p2;

    int i = 0;
    printf("# glibc %s\n", gnu_get_libc_version());
    printf("tcache_perthread_struct chunk at heap+0x0, size field %#lx\n", r[i++]);
    printf("first malloc(100) = heap+%#lx, size field %#lx\n", r[i], r[i + 1]); i += 2;
    printf("after free of it: counts[5] = %ld\n", r[i++]);
    printf("malloc(200) = heap+%#lx\n", r[i++]);
    printf("malloc(100) = heap+%#lx, counts[5] = %ld\n", r[i], r[i + 1]); i += 2;
    printf("a, b, c = malloc(100) x3 = heap+%#lx, +%#lx, +%#lx\n", r[i], r[i + 1], r[i + 2]);
    i += 3;
    printf("free a, b, c; malloc(100) x3 = heap+%#lx, +%#lx, +%#lx\n", r[i], r[i + 1],
           r[i + 2]);
    i += 3;
    printf("8 frees of malloc(40) chunks: counts[1] = %ld\n", r[i++]);
    printf("malloc(40) x8 then:");
    for (int k = 0; k < 8; k++) printf(" e%d", order[k]);
    printf("\n");
    printf("free of malloc(1032): counts[63] = %ld, size field %#lx; malloc(1000) %s\n",
           r[i], r[i + 1], r[i + 2] ? "reuses-it" : "from-top");
    i += 3;
    printf("free of malloc(1033): counts[63] = %ld, size field %#lx; malloc(1000) %s\n",
           r[i], r[i + 1], r[i + 2] ? "reuses-it" : "from-top");
    i += 3;
    fflush(stdout);
    /* a double free of a chunk in the tcache, in a child: glibc aborts */
    pid_t pid = fork();
    if (pid == 0) {
        dup2(1, 2);                          /* glibc's message, in order with ours */
        void *d = malloc(100), *volatile dd = d;
        free(d);
        free(dd);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("double free in a child: %s\n",
           WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "no signal");
    return 0;
}
