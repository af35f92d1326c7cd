/* mremap() of an old range that is not one whole mapping: which cases give EFAULT.
 * Each case maps fresh memory; results are relative to the case's first mapping a, in KiB.
 *   gcc -O1 -o mremap_efault mremap_efault.c && ./mremap_efault */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#define K 1024L

static char *a;

static void show(const char *what, void *r) {
    if (r == MAP_FAILED) printf("%s: %s\n", what, strerrorname_np(errno));
    else printf("%s: a%+ldK\n", what, ((char *)r - a) / K);
}

static void maps(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    char l[512];
    while (fgets(l, sizeof l, f)) {
        unsigned long s, e; char perm[8];
        sscanf(l, "%lx-%lx %7s", &s, &e, perm);
        if (e <= (unsigned long)a - 64 * K || s >= (unsigned long)a + 128 * K) continue;
        printf("  %+ld..%+ld %s\n", (long)(s - (unsigned long)a) / K,
               (long)(e - (unsigned long)a) / K, perm);
    }
    fclose(f);
}

/* a 64K region [a, a+64K) in a free area with 64K free around it; hole = [a+16K, a+32K) */
static void setup(int hole, int twoprot) {
    char *r = mmap(0, 256 * K, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(r, 256 * K);
    a = r + 64 * K;
    mmap(a, 64 * K, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (hole) munmap(a + 16 * K, 16 * K);
    if (twoprot) mprotect(a + 32 * K, 32 * K, PROT_READ);
}

static void done(void) { munmap(a - 64 * K, 256 * K); }

int main(void) {
    setup(1, 0);
    show("shrink 64K->8K over a hole", mremap(a, 64 * K, 8 * K, 0));
    maps(); done();
    setup(1, 0);
    show("same size 64K->64K over a hole", mremap(a, 64 * K, 64 * K, 0));
    maps(); done();
    setup(0, 1);
    show("shrink 64K->8K over two VMAs (rw-, r--)", mremap(a, 64 * K, 8 * K, 0));
    maps(); done();
    setup(0, 0);
    show("shrink 96K->8K, the last 32K unmapped", mremap(a, 96 * K, 8 * K, 0));
    maps(); done();
    setup(0, 0);
    show("shrink at an unmapped address", mremap(a - 32 * K, 16 * K, 8 * K, 0));
    maps(); done();
    setup(0, 0);
    show("shrink 16K->8K from unmapped a-8K into a", mremap(a - 8 * K, 16 * K, 8 * K, 0));
    maps(); done();
    setup(0, 1);
    show("grow 64K->96K over two VMAs, maymove", mremap(a, 64 * K, 96 * K, MREMAP_MAYMOVE));
    maps(); done();
    setup(1, 0);
    show("move (fixed) 64K over a hole", mremap(a, 64 * K, 64 * K, MREMAP_MAYMOVE | MREMAP_FIXED,
                                               a + 128 * K));
    maps(); done();
    setup(0, 0);
    show("same size 16K->16K at an unmapped address", mremap(a - 32 * K, 16 * K, 16 * K, 0));
    maps(); done();
    setup(0, 0);
    show("grow 16K->32K at an unmapped address", mremap(a - 32 * K, 16 * K, 32 * K, 0));
    maps(); done();
    setup(0, 0);
    show("shrink 64K->8K, one whole VMA", mremap(a, 64 * K, 8 * K, 0));
    maps(); done();
    return 0;
}
