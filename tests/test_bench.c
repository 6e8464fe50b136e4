/* The shared micro-benchmark harness: options, sizes, iterations, output, and the helpers. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gf_bench.h"
#include "gf_test.h"

static int nothing(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	(void)ctx;
	(void)b;
	(void)o;
	return 0;
}

static const struct gf_bench_cli cli = {
	.prog = "gilfree-test",
	.backend = "test",
	.methods = { [GF_BENCH_IPC] = "ipc", [GF_BENCH_COUNTER] = "counter" },
	.run = { [GF_BENCH_IPC] = nothing, [GF_BENCH_COUNTER] = nothing },
};

static int parse(const char *line, struct gf_bench_opts *o, char *err)
{
	char buf[512], *argv[32];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t && argc < 31; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	return gf_bench_parse(argc, argv, &cli, o, err, 256);
}

static void test_parse(void)
{
	struct gf_bench_opts o;
	char err[256];

	CU_ASSERT_EQUAL(parse("bench ipc", &o, err), 0);
	CU_ASSERT_EQUAL(o.exp, GF_BENCH_IPC);
	CU_ASSERT_EQUAL(o.min_size, 8);
	CU_ASSERT_EQUAL(o.max_size, INT64_C(128) << 20);
	CU_ASSERT_EQUAL(o.format, GF_FORMAT_TEXT);
	CU_ASSERT_EQUAL(parse("bench counter --count 77 -w 3 --format json", &o, err), 0);
	CU_ASSERT_EQUAL(o.count, 77);
	CU_ASSERT_EQUAL(o.workers, 3);
	CU_ASSERT_EQUAL(o.format, GF_FORMAT_JSON);
	CU_ASSERT_EQUAL(parse("bench ipc --max-size 2k --min-size 1 --step 2", &o, err), 0);
	CU_ASSERT_EQUAL(o.max_size, 2048);
	CU_ASSERT_EQUAL(o.step, 2);

	/* each bad value is refused and named */
	CU_ASSERT_EQUAL(parse("bench grain", &o, err), -EINVAL); /* not offered here */
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "'grain'"));
	CU_ASSERT_EQUAL(parse("bench", &o, err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "missing experiment"));
	CU_ASSERT_EQUAL(parse("bench ipc --max-size 2x", &o, err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "'2x'"));
	CU_ASSERT_EQUAL(parse("bench ipc --max-size 2g", &o, err), -EINVAL);
	CU_ASSERT_EQUAL(parse("bench ipc --max-size 4 --min-size 8", &o, err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--max-size '4'"));
	CU_ASSERT_EQUAL(parse("bench ipc --min-size 1g", &o, err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--min-size '1g'"));
	CU_ASSERT_EQUAL(parse("bench ipc --iters 0", &o, err), -EINVAL);
	CU_ASSERT_EQUAL(parse("bench ipc --format csv", &o, err), -EINVAL);
	CU_ASSERT_EQUAL(parse("bench ipc extra", &o, err), -EINVAL);
	CU_ASSERT_EQUAL(parse("bench ipc --nope", &o, err), -EINVAL);
	CU_ASSERT_EQUAL(parse("bench counter --count 1 -w 2", &o, err), -EINVAL);
	CU_ASSERT_EQUAL(parse("bench ipc --help", &o, err), 0);
	CU_ASSERT(o.help);
}

static void test_sizes_and_iters(void)
{
	struct gf_bench_opts o;
	char err[256];
	int64_t n = 0, last = 0;
	int it, wu;

	CU_ASSERT_EQUAL(parse("bench ipc", &o, err), 0);
	for (int64_t s = o.min_size; s; s = gf_bench_next_size(&o, s)) {
		n++;
		last = s;
	}
	CU_ASSERT_EQUAL(n, 13); /* 8 B to 128 MiB in powers of 4 */
	CU_ASSERT_EQUAL(last, INT64_C(128) << 20);
	gf_bench_iters(&o, 8, &it, &wu);
	CU_ASSERT_EQUAL(it, 1000);
	CU_ASSERT_EQUAL(wu, 100);
	gf_bench_iters(&o, 32768, &it, &wu);
	CU_ASSERT_EQUAL(it, 100); /* OSU: a tenth above 8 KiB */
	CU_ASSERT_EQUAL(wu, 10);
	gf_bench_iters(&o, INT64_C(128) << 20, &it, &wu);
	CU_ASSERT_EQUAL(it, 8); /* at most 1 GiB per point */
	CU_ASSERT(wu >= 1 && wu <= it);
}

static void test_parse_size(void)
{
	int64_t v;
	char err[128];

	CU_ASSERT_EQUAL(gf_bench_parse_size("128m", 1, INT64_C(1) << 30, &v, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(v, INT64_C(128) << 20);
	CU_ASSERT_EQUAL(gf_bench_parse_size("3K", 1, INT64_C(1) << 30, &v, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(v, 3072);
	CU_ASSERT_EQUAL(gf_bench_parse_size("", 1, 100, &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(gf_bench_parse_size("k", 1, 100, &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(gf_bench_parse_size("-1", 1, 100, &v, err, sizeof(err)), -EINVAL);
	/* below the least size, which is not 0: the least is named, not "at least 0" */
	CU_ASSERT_STRING_EQUAL(err, "must be at least 1 byte");
	CU_ASSERT_EQUAL(gf_bench_parse_size("-5k", 8, 100, &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "must be at least 8 bytes");
	/* an overflow through the suffix is caught, not wrapped */
	CU_ASSERT_EQUAL(
		gf_bench_parse_size("9999999999999g", 1, INT64_C(1) << 30, &v, err, sizeof(err)),
		-EINVAL);
	/* a limit is said in bytes with its unit, whatever the suffix given */
	CU_ASSERT_EQUAL(gf_bench_parse_size("2g", 1, INT64_C(1) << 30, &v, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "too large (at most 1073741824 bytes (1g))");
	CU_ASSERT_EQUAL(gf_bench_parse_size("1025m", 1, INT64_C(1) << 30, &v, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "too large (at most 1073741824 bytes (1g))");
	CU_ASSERT_EQUAL(gf_bench_parse_size("4", 8, 100, &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "must be at least 8 bytes");
	CU_ASSERT_EQUAL(gf_bench_parse_size("1k", 1, 1000, &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "too large (at most 1000 bytes)");
}

/* The output: a header per table, rows of as many columns, json one object per row. */
static void test_output(void)
{
	struct gf_bench_opts o;
	struct gf_bench_out b;
	struct gf_stats st = { .min = 1e-6, .median = 2e-6, .max = 3e-6 };
	char err[256], *text = NULL;
	size_t len = 0;
	FILE *f;

	CU_ASSERT_EQUAL(parse("bench ipc", &o, err), 0);
	f = open_memstream(&text, &len);
	gf_bench_out_init(&b, f, &cli, &o);
	for (int i = 0; i < 2; i++) {
		gf_bench_row(&b, "pipe", "two pipes");
		gf_bench_int(&b, "size", 8 << i);
		gf_bench_stats(&b, "lat_us", &st, 1e6);
		gf_bench_check(&b, 1);
		gf_bench_end(&b);
	}
	fclose(f);
	CU_ASSERT_FALSE(b.failed);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "# gilfree-test bench ipc: pipe, two pipes\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "size        lat_us           min           max"
					    "        ci_low       ci_high"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "3.000             -             -")); /* n < 6 */
	CU_ASSERT_PTR_NULL(strstr(strstr(text, "\n") + 1, "# gilfree")); /* one header only */
	free(text);

	o.format = GF_FORMAT_JSON;
	f = open_memstream(&text, &len);
	gf_bench_out_init(&b, f, &cli, &o);
	gf_bench_row(&b, "pipe", NULL);
	gf_bench_int(&b, "size", 8);
	gf_bench_stats(&b, "lat_us", &st, 1e6);
	gf_bench_check(&b, 0);
	gf_bench_end(&b);
	fclose(f);
	CU_ASSERT(b.failed);
	CU_ASSERT_STRING_EQUAL(text, "{\"kind\":\"bench\",\"backend\":\"test\",\"experiment\":"
				     "\"ipc\",\"method\":\"pipe\",\"size\":8,\"lat_us\":{\"min\":1,"
				     "\"median\":2,\"max\":3,\"ci_low\":null,\"ci_high\":null},"
				     "\"ok\":false}\n");
	free(text);

	/* with an interval: its ends scaled as the rest */
	st.ci = 1;
	st.ci_low = 1.5e-6;
	st.ci_high = 2.5e-6;
	f = open_memstream(&text, &len);
	gf_bench_out_init(&b, f, &cli, &o);
	gf_bench_row(&b, "pipe", NULL);
	gf_bench_stats(&b, "lat_us", &st, 1e6);
	gf_bench_end(&b);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"lat_us\":{\"min\":1,\"median\":2,\"max\":3,"
					    "\"ci_low\":1.5,\"ci_high\":2.5}"));
	free(text);

	/* a ping-pong row: the samples' spread, their mean as osu_latency's figure */
	{
		const double t[] = { 2e-6, 1e-6, 6e-6 };

		f = open_memstream(&text, &len);
		gf_bench_out_init(&b, f, &cli, &o);
		gf_bench_pingpong_row(&b, "pingpong", "a title", 8, t, 3, 1);
		fclose(f);
		CU_ASSERT_STRING_EQUAL(text, "{\"kind\":\"bench\",\"backend\":\"test\","
					     "\"experiment\":\"ipc\",\"method\":\"pingpong\","
					     "\"size\":8,\"lat_us\":{\"min\":1,\"median\":2,"
					     "\"max\":6,\"ci_low\":null,\"ci_high\":null},\"avg_"
					     "us\":3,\"bw_MBps\":4,\"ok\":true}\n");
		free(text);
	}
}

static void test_work(void)
{
	struct gf_bench_out b, other;

	memset(&b, 0, sizeof(b));
	memset(&other, 0, sizeof(other));
	CU_ASSERT(gf_bench_calibrate(&b) > 0);
	CU_ASSERT(gf_bench_units(&b, 1e-3) >= 1);
	/* a unit handed over (MPI: rank 0's) is the run's own, not every run's */
	gf_bench_set_unit(&other, 1e-6);
	CU_ASSERT_EQUAL(gf_bench_units(&other, 1e-3), 1000);
	CU_ASSERT(gf_bench_calibrate(&b) != 1e-6);
	CU_ASSERT_EQUAL(gf_bench_work(1000), gf_bench_work_expect(1000));
	CU_ASSERT_EQUAL(gf_bench_work_expect(1), 0);
}

/* The image file holds the same bytes the pixels give, and a slice maps back at any offset. */
static void test_images(void)
{
	struct gf_bench_opts o;
	char err[256], path[4096];
	uint8_t *img, *images;
	uint64_t sum, all = 0, want;
	int fd;

	CU_ASSERT_EQUAL(parse("bench ipc --images 3 --width 33 --height 7", &o, err), 0);
	img = malloc(33 * 7);
	images = gf_bench_images(&o, &want);
	if (!img || !images) {
		CU_FAIL("out of memory");
		free(img);
		free(images);
		return;
	}
	fd = gf_bench_image_file(&o, images, NULL, 0);
	CU_ASSERT(fd >= 0);
	for (int id = 0; id < 3 && fd >= 0; id++) {
		gf_bench_pixels(img, 33 * 7, id);
		CU_ASSERT_EQUAL(memcmp(images + id * 33 * 7, img, 33 * 7), 0);
		CU_ASSERT_EQUAL(gf_bench_map_checksum(fd, id * 33 * 7, 33 * 7, &sum), 0);
		CU_ASSERT_EQUAL(sum, gf_bench_checksum(img, 33 * 7));
		all += sum;
	}
	CU_ASSERT_EQUAL(all, want);
	if (fd >= 0)
		close(fd);
	/* by name: it exists until the caller unlinks it */
	fd = gf_bench_image_file(&o, images, path, sizeof(path));
	CU_ASSERT(fd >= 0);
	CU_ASSERT_EQUAL(access(path, R_OK), 0);
	CU_ASSERT_EQUAL(unlink(path), 0);
	if (fd >= 0)
		close(fd);
	free(images);
	free(img);
}

/* The checksum is the plain sum of the bytes, at every length and alignment. */
static void test_checksum(void)
{
	uint8_t *buf = malloc(5000);

	for (size_t i = 0; i < 5000; i++)
		buf[i] = (uint8_t)(255 - i % 7); /* near the top, to catch a lane overflow */
	for (size_t off = 0; off < 8; off++) {
		for (size_t n = 0; n + off <= 5000; n += 997) {
			uint64_t want = 0;

			for (size_t i = 0; i < n; i++)
				want += buf[off + i];
			CU_ASSERT_EQUAL(gf_bench_checksum(buf + off, n), want);
		}
	}
	free(buf);
}

static void test_smaps(void)
{
	struct gf_mem m;

	CU_ASSERT_EQUAL(gf_bench_smaps(0, &m), 0);
	CU_ASSERT(m.rss_kb > 0);
	CU_ASSERT(m.pss_kb > 0 && m.pss_kb <= m.rss_kb);
	CU_ASSERT(m.private_kb > 0 && m.private_kb <= m.rss_kb);
	CU_ASSERT(gf_bench_smaps(999999999, &m) < 0);
}

/* The ping-pong's two buffers: distinct, page-aligned, apart, whole and filled. */
static void test_pingpong_buffers(void)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const size_t sizes[] = { 1, 8, page - 1, page, page + 1, 3 * page + 5, (size_t)1 << 20 };
	unsigned char *s, *r, dummy;

	CU_ASSERT(page >= 2);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];
		int whole = 1;

		CU_ASSERT_EQUAL_FATAL(gf_bench_pingpong_buffers((int64_t)n, &s, &r), 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		CU_ASSERT(s != r);
		CU_ASSERT_EQUAL((uintptr_t)s % page, 0);
		CU_ASSERT_EQUAL((uintptr_t)r % page, 0);
		/* neither overlaps the other */
		CU_ASSERT((uintptr_t)s + n <= (uintptr_t)r || (uintptr_t)r + n <= (uintptr_t)s);
		/* filled differently, every byte */
		for (size_t i = 0; i < n; i++)
			whole = whole && s[i] == 'a' && r[i] == 'b';
		CU_ASSERT(whole);
		/* writing the whole receive buffer leaves the send buffer as it was */
		memset(r, 0x5a, n);
		for (size_t i = 0; i < n; i++)
			whole = whole && s[i] == 'a';
		CU_ASSERT(whole);
		free(s);
		free(r);
	}
	/* bad sizes: refused, nothing allocated */
	s = r = &dummy;
	CU_ASSERT_EQUAL(gf_bench_pingpong_buffers(0, &s, &r), -EINVAL);
	CU_ASSERT(s == NULL && r == NULL);
	s = r = &dummy;
	CU_ASSERT_EQUAL(gf_bench_pingpong_buffers(-8, &s, &r), -EINVAL);
	CU_ASSERT(s == NULL && r == NULL);
	CU_ASSERT_EQUAL(gf_bench_pingpong_buffers(GF_BENCH_MAX_SIZE + 1, &s, &r), -EINVAL);
	CU_ASSERT(s == NULL && r == NULL);
}

static void test_main(void)
{
	char *argv[] = { "bench", "ipc", "--iters", "x", NULL };
	char *help[] = { "bench", "--help", NULL };

	CU_ASSERT_EQUAL(gf_bench_main(4, argv, &cli, 0), 2);
	argv[3] = "5";
	CU_ASSERT_EQUAL(gf_bench_main(4, argv, &cli, 0), 0);
	CU_ASSERT_EQUAL(gf_bench_main(2, help, &cli, 0), 0);
}

int main(void)
{
	static const struct gf_test tests[] = {
		GF_TEST(test_parse),
		GF_TEST(test_sizes_and_iters),
		GF_TEST(test_parse_size),
		GF_TEST(test_output),
		GF_TEST(test_work),
		GF_TEST(test_images),
		GF_TEST(test_checksum),
		GF_TEST(test_smaps),
		GF_TEST(test_pingpong_buffers),
		GF_TEST(test_main),
		{ NULL, NULL },
	};

	return gf_test_main("gf_bench", tests);
}
