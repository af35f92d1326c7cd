/* mprotect back to writable: which PTEs stay writable (mm/mprotect.c
 * can_change_pte_writable(), since 5.19/6.0), so the next write does not fault.
 * Each case: map 40K, write every page, mprotect r, mprotect rw, write again;
 * prints the minor faults of that last write (getrusage).
 *   gcc -O1 -o mprotect_writable mprotect_writable.c && ./mprotect_writable */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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
    printf("private anon, written: minflt %ld\n", cycle(a));

    char *z = mmap(0, N * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < N; i++) (void)*(volatile char *)(z + i * PG);
    printf("private anon, zero page read: minflt %ld\n", cycle(z));

    char *s = mmap(0, N * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < N; i++) s[i * PG] = 1;
    printf("shared anon (shmem, no dirty tracking): minflt %ld\n", cycle(s));

    char path[] = "mpwXXXXXX"; /* on a disk file system, not tmpfs */
    int fd = mkstemp(path);
    ftruncate(fd, N * PG);
    char *f = mmap(0, N * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    for (int i = 0; i < N; i++) f[i * PG] = 1;
    printf("shared file (dirty tracking): minflt %ld\n", cycle(f));

    char *p = mmap(0, N * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    for (int i = 0; i < N; i++) p[i * PG] = 1;
    printf("private file, written (COW copies): minflt %ld\n", cycle(p));
    unlink(path);

    char *c = mmap(0, N * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < N; i++) c[i * PG] = 1;
    pid_t pid = fork();
    if (!pid) {
        printf("child, pages shared with the parent: minflt %ld\n", cycle(c));
        printf("child, again (now its own): minflt %ld\n", cycle(c));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, 0, 0);
    return 0;
}
