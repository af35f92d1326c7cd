/* mremap(MREMAP_MAYMOVE|MREMAP_FIXED) of a range spanning several VMAs or holes.
 * The source a = [a, a+64K) in a free area; the target t = a+192K. VMAs are printed
 * relative to a, in KiB, with the value of each page that was written (page i holds i+1).
 *   gcc -O1 -o mremap_multi mremap_multi.c && ./mremap_multi */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#define K 1024L

static char *a;

static void maps(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    char l[512];
    while (fgets(l, sizeof l, f)) {
        unsigned long s, e; char perm[8];
        sscanf(l, "%lx-%lx %7s", &s, &e, perm);
        if (e <= (unsigned long)a - 64 * K || s >= (unsigned long)a + 320 * K) continue;
        printf("  %+ld..%+ld %s\n", (long)(s - (unsigned long)a) / K,
               (long)(e - (unsigned long)a) / K, perm);
    }
    fclose(f);
}

static void show(const char *what, void *r) {
    if (r == MAP_FAILED) printf("%s: %s\n", what, strerrorname_np(errno));
    else printf("%s: a%+ldK\n", what, ((char *)r - a) / K);
    maps();
}

static void setup(int hole, int twoprot) {
    char *r = mmap(0, 512 * K, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(r, 512 * K);
    a = r + 64 * K;
    mmap(a, 64 * K, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    for (int i = 0; i < 16; i++) a[i * 4 * K] = i + 1;
    if (hole) munmap(a + 16 * K, 16 * K);
    if (twoprot) mprotect(a + 32 * K, 32 * K, PROT_READ);
}

static void done(void) { munmap(a - 64 * K, 512 * K); }

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    setup(1, 0);
    char *t = mremap(a, 64 * K, 64 * K, MREMAP_MAYMOVE | MREMAP_FIXED, a + 192 * K);
    show("same size over a hole", t);
    if (t != MAP_FAILED) printf("  values at t+0K, t+12K, t+32K, t+60K: %d %d %d %d\n",
                                t[0], t[12 * K], t[32 * K], t[60 * K]);
    done();
    setup(0, 1);
    t = mremap(a, 64 * K, 64 * K, MREMAP_MAYMOVE | MREMAP_FIXED, a + 192 * K);
    show("same size over two VMAs (rw-, r--)", t);
    done();
    setup(0, 1);
    show("shrink 64K->48K over two VMAs", mremap(a, 64 * K, 48 * K, MREMAP_MAYMOVE |
                                                 MREMAP_FIXED, a + 192 * K));
    done();
    setup(0, 1);
    show("grow 64K->80K over two VMAs", mremap(a, 64 * K, 80 * K, MREMAP_MAYMOVE |
                                               MREMAP_FIXED, a + 192 * K));
    done();
    setup(0, 0);
    show("same size 96K, the last 32K unmapped", mremap(a, 96 * K, 96 * K, MREMAP_MAYMOVE |
                                                        MREMAP_FIXED, a + 192 * K));
    done();
    return 0;
}
