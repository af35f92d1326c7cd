/* zap_pte_range() on a dirty shared anonymous (shmem) page: the page is set dirty.
 * Maps 40K shared anonymous, reads it, writes it, MADV_DONTNEED, reads it again,
 * then prints that VMA's Rss / Private_Clean / Private_Dirty from /proc/self/smaps.
 *   gcc -O1 -o shmem_zap_dirty shmem_zap_dirty.c && ./shmem_zap_dirty */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int main(void) {
    size_t len = 40 * 1024;
    volatile char *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    char sum = 0;
    for (size_t i = 0; i < len; i += 4096) sum += p[i];
    for (size_t i = 0; i < len; i += 4096) p[i] = 1;
    madvise((void *)p, len, MADV_DONTNEED);
    for (size_t i = 0; i < len; i += 4096) sum += p[i];
    char want[32], line[512];
    snprintf(want, sizeof want, "%lx-", (unsigned long)p);
    FILE *f = fopen("/proc/self/smaps", "r");
    int in = 0;
    while (fgets(line, sizeof line, f)) {
        if (strchr(line, '-') && strncmp(line, want, strlen(want)) == 0) in = 1;
        else if (in && !strncmp(line, "VmFlags", 7)) break;
        if (in && (!strncmp(line, "Rss", 3) || !strncmp(line, "Private_", 8) ||
                   !strncmp(line, "Shared_", 7)))
            fputs(line, stdout);
    }
    printf("values read back: %d\n", sum);
    return 0;
}
