/*
 * The real kernel's figures for the engine benchmarks: compiled and run by
 * bench/kernel.py, so the engine and Linux are measured in the same run.
 *
 *   kernel_ops mmap LIVE OPS   LIVE separate VMAs kept alive, then OPS rounds of
 *                              mmap(8K anon rw) + mprotect(first page, r) + munmap
 *   kernel_ops touch PAGES     first-touch faults per second, the logic of
 *                              shared/oracle/touch.c
 *
 * One line of key=value pairs on stdout; a message on stderr and exit 2 on
 * bad arguments, 1 when a system call fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* vm.max_map_count defaults to 65530; keep a margin under it for libc's own. */
#define MAP_BUDGET 65000L

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static long count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	long lines = 0;
	int c;

	if (!f)
		return -1;
	while ((c = getc(f)) != EOF)
		lines += c == '\n';
	fclose(f);
	return lines;
}

static long max_map_count(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	long n = 65530;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = 65530;
		fclose(f);
	}
	return n;
}

static long parse(const char *what, const char *s, long low)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < low) {
		fprintf(stderr, "kernel_ops: bad %s '%s' (a whole number >= %ld)\n", what, s, low);
		exit(2);
	}
	return v;
}

static int do_mmap(long live, long ops)
{
	long page = sysconf(_SC_PAGESIZE);
	long before = count_maps(), after, limit = max_map_count() - 530;
	char *region = NULL;
	double t0 = 0, secs;

	if (limit > MAP_BUDGET)
		limit = MAP_BUDGET;
	/* +2: the timed round's mapping and its split while it lives. */
	if (before + live + 2 > limit) {
		fprintf(stderr, "kernel_ops: %ld live VMAs + %ld already mapped > %ld allowed\n",
			live, before, limit);
		return 2;
	}
	if (live > 0) {
		region = mmap(NULL, live * page, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (region == MAP_FAILED) {
			perror("kernel_ops: mmap region");
			return 1;
		}
		/*
		 * VM_DONTCOPY is set on no other mapping of this process, so the
		 * region's end VMAs cannot merge with a neighbour; inside it the
		 * protections alternate, so no two adjacent pages merge either.
		 */
		if (madvise(region, live * page, MADV_DONTFORK)) {
			perror("kernel_ops: madvise");
			return 1;
		}
		for (long i = 1; i < live; i += 2)
			if (mprotect(region + i * page, page, PROT_READ)) {
				perror("kernel_ops: mprotect region");
				return 1;
			}
	}
	after = count_maps();

	/* A short warm-up so the first rounds do not pay for cold caches. */
	long warm = ops < 1000 ? ops : 1000;
	for (long r = -warm; r < ops; r++) {
		if (r == 0)
			t0 = now();
		char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			perror("kernel_ops: mmap");
			return 1;
		}
		if (mprotect(p, page, PROT_READ)) {
			perror("kernel_ops: mprotect");
			return 1;
		}
		if (munmap(p, 2 * page)) {
			perror("kernel_ops: munmap");
			return 1;
		}
	}
	if (ops == 0)
		t0 = now();
	secs = now() - t0;
	printf("live_vmas=%ld maps_before=%ld maps_after=%ld ops=%ld secs=%.6f ops_per_s=%.0f\n",
	       live, before, after, ops, secs, secs > 0 ? ops / secs : 0.0);
	if (region)
		munmap(region, live * page);
	return 0;
}

/* The logic of shared/oracle/touch.c: write one byte of each fresh page. */
static int do_touch(long n)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (size_t)n * page;
	struct rusage a, b;
	double t0, secs;
	long flt;

	getrusage(RUSAGE_SELF, &a);
	t0 = now();
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("kernel_ops: mmap");
		return 1;
	}
	/* Transparent huge pages would fault 512 pages at once: count 4K faults. */
	madvise(p, len, MADV_NOHUGEPAGE);
	for (long i = 0; i < n; i++)
		p[i * page] = 1;
	secs = now() - t0;
	getrusage(RUSAGE_SELF, &b);
	flt = b.ru_minflt - a.ru_minflt;
	printf("pages=%ld minflt=%ld secs=%.4f faults_per_s=%.0f\n", n, flt, secs, flt / secs);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "mmap"))
		return do_mmap(parse("LIVE", argv[2], 0), parse("OPS", argv[3], 0));
	if (argc == 3 && !strcmp(argv[1], "touch"))
		return do_touch(parse("PAGES", argv[2], 1));
	fprintf(stderr, "usage: kernel_ops mmap LIVE OPS | kernel_ops touch PAGES\n");
	return 2;
}
