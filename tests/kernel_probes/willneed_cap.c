/* madvise(MADV_WILLNEED) of a whole 64 MiB file mapping: how many pages does it read?
 * mm/madvise.c madvise_willneed() -> vfs_fadvise(POSIX_FADV_WILLNEED) ->
 * force_page_cache_readahead(), which caps the request at max(bdi->io_pages, ra_pages).
 *   gcc -O1 -o willneed_cap willneed_cap.c && ./willneed_cap FILE (a file on a disk) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define SIZE (64L << 20)

static long resident(char *p) {
    unsigned char vec[SIZE / 4096];
    long n = 0;
    mincore(p, SIZE, vec);
    for (long i = 0; i < SIZE / 4096; i++) n += vec[i] & 1;
    return n;
}

int main(int argc, char **argv) {
    int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
    char buf[65536];
    for (int i = 0; i < (int)sizeof buf; i++) buf[i] = i;
    for (long off = 0; off < SIZE; off += sizeof buf) write(fd, buf, sizeof buf);
    fsync(fd);
    posix_fadvise(fd, 0, SIZE, POSIX_FADV_DONTNEED);
    char *p = mmap(0, SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
    printf("resident before: %ld pages\n", resident(p));
    madvise(p, SIZE, MADV_WILLNEED);
    usleep(500000);
    printf("resident after madvise(WILLNEED) of %ld pages: %ld pages\n", SIZE / 4096, resident(p));
    unlink(argv[1]);
    return 0;
}
