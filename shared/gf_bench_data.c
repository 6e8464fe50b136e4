/*
 * The micro-benchmarks' data (gf_bench.h): the images of paths and their checksums, the
 * image file, a process's memory, the stamps of ping-pong messages.
 */
#include "gf_bench.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "gf_io.h"
#include "gf_report.h"
#include "gf_kernels.h"

/* ---- paths, not frames ---- */

void gf_bench_pixels(uint8_t *buf, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)((i * 31u + (size_t)id * 7u + (i >> 8)) & 0xff);
}

/*
 * The byte sum eight bytes at a time: the even and the odd bytes of each word go into four
 * 16-bit lanes, which 128 words cannot overflow (128 * 2 * 255 < 65536), so the checksum
 * reads memory at copy speed and the paths experiment measures moving the bytes, not adding
 * them.
 */
uint64_t gf_bench_checksum(const uint8_t *buf, size_t n)
{
	const uint64_t even = UINT64_C(0x00ff00ff00ff00ff);
	uint64_t s = 0;
	size_t i = 0;

	while (n - i >= 8) {
		size_t words = (n - i) / 8 < 128 ? (n - i) / 8 : 128;
		uint64_t lanes = 0;

		for (size_t k = 0; k < words; k++, i += 8) {
			uint64_t w;

			memcpy(&w, buf + i, sizeof(w));
			lanes += (w & even) + ((w >> 8) & even);
		}
		s += (lanes & 0xffff) + ((lanes >> 16) & 0xffff) + ((lanes >> 32) & 0xffff) +
		     (lanes >> 48);
	}
	for (; i < n; i++)
		s += buf[i];
	return s;
}

uint8_t *gf_bench_images(const struct gf_bench_opts *o, uint64_t *sum)
{
	size_t n = (size_t)(o->width * o->height);
	uint8_t *images = malloc(n * (size_t)o->images);

	*sum = 0;
	for (int64_t id = 0; images && id < o->images; id++) {
		gf_bench_pixels(images + (size_t)id * n, n, id);
		*sum += gf_bench_checksum(images + (size_t)id * n, n);
	}
	return images;
}

int gf_bench_image_file(const struct gf_bench_opts *o, const uint8_t *images, char *path,
			size_t len)
{
	const char *dir = getenv("TMPDIR");
	char name[4096];
	int fd, rc;

	snprintf(name, sizeof(name), "%s/gilfree-images-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(name);
	if (fd < 0)
		return -errno;
	rc = gf_write_full(fd, images, (size_t)(o->width * o->height * o->images));
	if (rc || !path || snprintf(path, len, "%s", name) >= (int)len) {
		unlink(name);
		if (rc || path) {
			close(fd);
			return rc ? rc : -ENAMETOOLONG;
		}
	}
	return fd;
}

/* ---- memory ---- */

int gf_bench_smaps(pid_t pid, struct gf_mem *m)
{
	char path[64], line[256];
	FILE *f;
	long long v;

	memset(m, 0, sizeof(*m));
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/smaps_rollup");
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Rss: %lld kB", &v) == 1)
			m->rss_kb = v;
		else if (sscanf(line, "Pss: %lld kB", &v) == 1)
			m->pss_kb = v;
		else if (sscanf(line, "Private_Clean: %lld kB", &v) == 1 ||
			 sscanf(line, "Private_Dirty: %lld kB", &v) == 1)
			m->private_kb += v;
	}
	fclose(f);
	return m->rss_kb > 0 ? 0 : -ENODATA;
}

void gf_bench_stamp(unsigned char *p, int64_t size, int round)
{
	p[0] = p[size / 2] = p[size - 1] = (unsigned char)round;
}

int gf_bench_stamped(const unsigned char *p, int64_t size, int round)
{
	unsigned char r = (unsigned char)round;

	return p[0] == r && p[size / 2] == r && p[size - 1] == r;
}
