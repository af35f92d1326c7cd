/* Anonymous VMA merges between faulted (anon_vma set) and unfaulted VMAs, in every
 * merge path: mmap, mprotect, mlock/munlock, mremap move, mremap grow in place; and
 * after fork, in the child. mm/vma.c is_mergeable_anon_vma() (relaxed in 6.16).
 * VMAs are printed relative to the case's base A, in KiB.
 *   gcc -O1 -o merge_anon merge_anon.c && ./merge_anon */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#define K 1024L
#define RW (PROT_READ | PROT_WRITE)
#define FIX (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)

static char *A;

static void maps(const char *what) {
    FILE *f = fopen("/proc/self/maps", "r");
    char l[512];
    printf("%s\n", what);
    while (fgets(l, sizeof l, f)) {
        unsigned long s, e; char perm[8];
        sscanf(l, "%lx-%lx %7s", &s, &e, perm);
        if (e <= (unsigned long)A || s >= (unsigned long)A + 256 * K) continue;
        printf("  %+ld..%+ld %s\n", (long)(s - (unsigned long)A) / K,
               (long)(e - (unsigned long)A) / K, perm);
    }
    fclose(f);
}

/* a fresh free 256K region: A is 64K into a 384K hole */
static void fresh(void) {
    char *r = mmap(0, 384 * K, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(r, 384 * K);
    A = r + 64 * K;
}

static void done(void) { munmap(A, 256 * K); }

static void touch(char *p, long len) { for (long i = 0; i < len; i += 4 * K) p[i] = 1; }

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    /* mmap: a new (unfaulted) VMA beside a faulted one */
    fresh();
    mmap(A + 16 * K, 16 * K, RW, FIX, -1, 0); touch(A + 16 * K, 16 * K);
    mmap(A, 16 * K, RW, FIX, -1, 0);
    maps("mmap: new 16K below a faulted 16K"); done();

    /* mprotect: a faulted VMA becomes like its unfaulted neighbour */
    fresh();
    mmap(A + 16 * K, 16 * K, RW, FIX, -1, 0); touch(A + 16 * K, 16 * K);
    mprotect(A + 16 * K, 16 * K, PROT_READ);
    mmap(A, 16 * K, RW, FIX, -1, 0);
    maps("mprotect: faulted r-- above unfaulted rw-"); 
    mprotect(A + 16 * K, 16 * K, RW);
    maps("mprotect: the faulted one back to rw-"); done();

    /* mprotect: an unfaulted VMA becomes like its faulted neighbour */
    fresh();
    mmap(A + 16 * K, 16 * K, RW, FIX, -1, 0); touch(A + 16 * K, 16 * K);
    mmap(A, 16 * K, PROT_READ, FIX, -1, 0);
    mprotect(A, 16 * K, RW);
    maps("mprotect: the unfaulted r-- below a faulted rw- made rw-"); done();

    /* mprotect: faulted VMA between two unfaulted ones */
    fresh();
    mmap(A + 16 * K, 16 * K, RW, FIX, -1, 0); touch(A + 16 * K, 16 * K);
    mprotect(A + 16 * K, 16 * K, PROT_READ);
    mmap(A, 16 * K, RW, FIX, -1, 0);
    mmap(A + 32 * K, 16 * K, RW, FIX, -1, 0);
    mprotect(A + 16 * K, 16 * K, RW);
    maps("mprotect: faulted r-- between unfaulted rw- made rw-"); done();

    /* mprotect: two faulted VMAs with different anon_vmas */
    fresh();
    mmap(A + 16 * K, 16 * K, RW | PROT_EXEC, FIX, -1, 0); touch(A + 16 * K, 16 * K);
    mmap(A, 16 * K, RW, FIX, -1, 0); touch(A, 16 * K);
    mprotect(A + 16 * K, 16 * K, RW);
    maps("mprotect: faulted rwx beside a faulted rw- made rw- (the fault reused its anon_vma)"); done();

    /* mlock: a 12-page VMA, its upper 8 locked and faulted, then unlocked */
    fresh();
    mmap(A, 48 * K, RW, FIX, -1, 0);
    mlock(A + 16 * K, 32 * K);
    munlock(A + 16 * K, 16 * K);
    maps("munlock: faulted middle beside unfaulted bottom");
    munlock(A + 32 * K, 16 * K);
    maps("munlock: the rest"); done();

    /* mremap move: a faulted VMA moved next to an unfaulted one (its vm_pgoff fits) */
    fresh();
    mmap(A, 32 * K, RW, FIX, -1, 0);
    mprotect(A, 16 * K, PROT_READ);
    touch(A + 16 * K, 16 * K);
    mremap(A + 16 * K, 16 * K, 16 * K, MREMAP_MAYMOVE | MREMAP_FIXED, A + 128 * K);
    mprotect(A, 16 * K, RW);
    maps("mremap move: a faulted 16K moved away from an unfaulted 16K");
    mremap(A + 128 * K, 16 * K, 16 * K, MREMAP_MAYMOVE | MREMAP_FIXED, A + 16 * K);
    maps("mremap move: and moved back above it"); done();

    /* mremap move: an unfaulted VMA moved next to a faulted one */
    fresh();
    mmap(A, 16 * K, RW, FIX, -1, 0); touch(A, 16 * K);
    char *src = mmap(A + 128 * K, 16 * K, RW, FIX, -1, 0);
    mremap(src, 16 * K, 16 * K, MREMAP_MAYMOVE | MREMAP_FIXED, A + 16 * K);
    maps("mremap move: unfaulted 16K moved above a faulted 16K"); done();

    /* mremap grow in place up to the next VMA */
    fresh();
    mmap(A, 16 * K, RW, FIX, -1, 0); touch(A, 16 * K);
    mmap(A + 32 * K, 16 * K, RW, FIX, -1, 0);
    mremap(A, 16 * K, 32 * K, 0);
    maps("mremap grow: faulted 16K grown to 32K, up to an unfaulted 16K"); done();

    fresh();
    mmap(A, 16 * K, RW, FIX, -1, 0);
    mmap(A + 32 * K, 16 * K, RW, FIX, -1, 0); touch(A + 32 * K, 16 * K);
    mremap(A, 16 * K, 32 * K, 0);
    maps("mremap grow: unfaulted 16K grown to 32K, up to a faulted 16K"); done();

    fresh();
    mmap(A, 16 * K, RW, FIX, -1, 0);
    mmap(A + 32 * K, 16 * K, RW, FIX, -1, 0);
    mremap(A, 16 * K, 32 * K, 0);
    maps("mremap grow: unfaulted 16K grown to 32K, up to an unfaulted 16K"); done();

    fresh();
    mmap(A, 16 * K, RW, FIX, -1, 0); touch(A, 16 * K);
    mmap(A + 32 * K, 16 * K, RW, FIX, -1, 0); touch(A + 32 * K, 16 * K);
    mremap(A, 16 * K, 32 * K, 0);
    maps("mremap grow: faulted 16K grown to 32K, up to a faulted 16K"); done();

    /* after fork, in the child: its VMAs' anon_vma chains hold the parent's too */
    fresh();
    mmap(A + 16 * K, 16 * K, RW, FIX, -1, 0); touch(A + 16 * K, 16 * K);
    mprotect(A + 16 * K, 16 * K, PROT_READ);
    mmap(A + 64 * K, 16 * K, RW, FIX, -1, 0); touch(A + 64 * K, 16 * K);
    pid_t pid = fork();
    if (!pid) {
        mmap(A, 16 * K, RW, FIX, -1, 0);
        mprotect(A + 16 * K, 16 * K, RW);
        maps("child: faulted (forked) r-- made rw- above an unfaulted rw-");
        mmap(A + 48 * K, 16 * K, RW, FIX, -1, 0);
        maps("child: new unfaulted 16K below a faulted (forked) 16K");
        _exit(0);
    }
    waitpid(pid, 0, 0);
    done();
    return 0;
}
