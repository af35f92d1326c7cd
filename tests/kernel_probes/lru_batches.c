/* Per-CPU LRU batches: a new anonymous page reaches its LRU list, and a MADV_FREE'd page
 * becomes LazyFree, only when the CPU's batch fills or is drained.
 * Pinned to one CPU; reads each page's flags through /proc/self/pagemap and /proc/kpageflags
 * (needs root), and LazyFree from /proc/self/smaps. Writing /proc/sys/vm/compact_memory
 * drains every CPU's batches (compact_nodes() calls lru_add_drain_all()). Other tasks
 * running on the same CPU share its batches, so a run on a busy machine may start with a
 * partly filled batch: the steps of the counts, not their phase, are the batch size.
 *   gcc -O1 -o lru_batches lru_batches.c && ./lru_batches */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096
#define KPF_LRU 5
#define KPF_ACTIVE 6
#define KPF_SWAPBACKED 14

static int pagemap, kpageflags;

static uint64_t flags_of(char *va) {
    uint64_t e, f;
    pread(pagemap, &e, 8, ((uintptr_t)va / PG) * 8);
    if (!(e >> 63 & 1)) return 0;
    pread(kpageflags, &f, 8, (e & ((1ULL << 55) - 1)) * 8);
    return f;
}

static int count(char *p, int n, int bit, int want) {
    int c = 0;
    for (int i = 0; i < n; i++) c += ((flags_of(p + i * PG) >> bit) & 1) == want;
    return c;
}

static void drain(void) { /* lru_add_drain_all() */
    int fd = open("/proc/sys/vm/compact_memory", O_WRONLY);
    write(fd, "1", 1);
    close(fd);
}

static long lazyfree_kb(char *p) {
    char want[32], line[512];
    long kb = -1;
    snprintf(want, sizeof want, "%lx-", (unsigned long)p);
    FILE *f = fopen("/proc/self/smaps", "r");
    int in = 0;
    while (fgets(line, sizeof line, f)) {
        if (!in && !strncmp(line, want, strlen(want))) in = 1;
        else if (in && !strncmp(line, "LazyFree:", 9)) { kb = atol(line + 9); break; }
    }
    fclose(f);
    return kb;
}

static char *region(int n) {
    char *p = mmap(0, n * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    madvise(p, n * PG, MADV_NOHUGEPAGE); /* order-0 folios only: a large one drains at once */
    return p;
}

int main(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(1, &set);
    sched_setaffinity(0, sizeof set, &set);
    pagemap = open("/proc/self/pagemap", O_RDONLY);
    kpageflags = open("/proc/kpageflags", O_RDONLY);

    /* 1. new anonymous pages, one write at a time: how many are on an LRU list */
    int n = 64, lru[64];
    char *a = region(n);
    drain();
    for (int i = 0; i < n; i++) {
        a[i * PG] = 1;
        lru[i] = count(a, i + 1, KPF_LRU, 1);
    }
    printf("pages written, pages on an LRU list after each write:\n");
    for (int i = 0; i < n; i++) printf("%d:%d%s", i + 1, lru[i], (i % 8 == 7) ? "\n" : " ");
    drain();
    printf("after a drain: %d of %d on an LRU list\n", count(a, n, KPF_LRU, 1), n);

    /* 2. MADV_FREE of 10 and of 40 written pages */
    int sizes[2] = {10, 40};
    for (int k = 0; k < 2; k++) {
        int m = sizes[k];
        char *b = region(m);
        for (int i = 0; i < m; i++) b[i * PG] = 1;
        drain();
        madvise(b, m * PG, MADV_FREE);
        long before = lazyfree_kb(b);
        int nsb = count(b, m, KPF_SWAPBACKED, 0);
        drain();
        printf("MADV_FREE of %d pages: LazyFree %ld kB (%d not swap-backed); after a drain "
               "LazyFree %ld kB (%d not swap-backed)\n", m, before, nsb, lazyfree_kb(b),
               count(b, m, KPF_SWAPBACKED, 0));
    }
    return 0;
}
