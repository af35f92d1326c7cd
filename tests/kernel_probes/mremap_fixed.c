/* mremap(MREMAP_MAYMOVE|MREMAP_FIXED): the cases of mm/mremap.c mremap_to().
 * Addresses are printed relative to the 16K source mapping `a`, in KiB.
 *   gcc -O1 -o mremap_fixed mremap_fixed.c && ./mremap_fixed */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static char *a;

static void show(const char *what, void *r) {
    if (r == MAP_FAILED) printf("%s: %s\n", what, strerrorname_np(errno));
    else printf("%s: a%+ldK\n", what, ((char *)r - a) / 1024);
}

int main(void) {
    /* a 64K region far from everything to move into: target t = a - 64K .. a - 48K */
    char *hole = mmap(0, 128 * 1024, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(hole, 128 * 1024);
    a = hole + 64 * 1024;
    mmap(a, 16384, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    for (int i = 0; i < 4; i++) a[i * 4096] = 10 + i;
    show("fixed without maymove", mremap(a, 16384, 16384, MREMAP_FIXED, a - 65536));
    show("new range overlaps old", mremap(a, 16384, 16384, MREMAP_MAYMOVE | MREMAP_FIXED, a + 8192));
    show("new address unaligned", mremap(a, 16384, 16384, MREMAP_MAYMOVE | MREMAP_FIXED, a - 65536 + 256));
    /* something mapped at the target: it is unmapped, the pages move there */
    char *t = mmap(a - 65536, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    char *r = mremap(a, 16384, 16384, MREMAP_MAYMOVE | MREMAP_FIXED, t);
    show("move onto a mapping", r);
    printf("values at the new place: %d %d %d %d\n", r[0], r[4096], r[8192], r[12288]);
    printf("old range still mapped: %s\n", msync(a, 4096, MS_ASYNC) == 0 ? "yes" : "no (ENOMEM)");
    char perms[8] = "";
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    while (fgets(line, sizeof line, f)) {
        unsigned long s, e;
        if (sscanf(line, "%lx-%lx %4s", &s, &e, perms) == 3 && s <= (unsigned long)r &&
            (unsigned long)r < e)
            printf("VMA at the new place: a%+ldK..a%+ldK %s\n", ((char *)s - a) / 1024,
                   ((char *)e - a) / 1024, perms);
    }
    fclose(f);
    /* a shrinking move: 16K to 8K at a fixed place below */
    mmap(a, 16384, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    for (int i = 0; i < 4; i++) a[i * 4096] = 20 + i;
    r = mremap(a, 16384, 8192, MREMAP_MAYMOVE | MREMAP_FIXED, a - 8192);
    show("shrink and move to a-8K", r);
    printf("values: %d %d; rest of the old range mapped: %s\n", r[0], r[4096],
           msync(a + 8192, 4096, MS_ASYNC) == 0 ? "yes" : "no (ENOMEM)");
    return 0;
}
