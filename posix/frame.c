/*
 * The worker pipes' frames (proc.h): their sizes, encoding and decoding, the sending of task
 * frames, and the inbox that turns a pipe's bytes into whole frames.
 */
#define _GNU_SOURCE /* prctl, strsignal */
#include "proc_impl.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gf_clock.h"
#include "gf_disturb.h"
#include "gf_driver.h"
#include "gf_io.h"
#include "gf_stdio.h"
#include "gf_watchdog.h"

size_t gf_frame_size(int32_t kind, int32_t count)
{
	switch (kind) {
	case GF_FRAME_TASK:
		return count == 1 ? GF_TASK_FRAME : 0;
	case GF_FRAME_STOP:
		return count == 0 ? GF_TASK_FRAME : 0;
	case GF_FRAME_READY:
		return count == 0 ? sizeof(struct gf_frame) : 0;
	case GF_FRAME_RESULT:
		if (count < 1 || (size_t)count > GF_FRAME_MAX_RESULTS)
			return 0;
		return sizeof(struct gf_frame) + (size_t)count * sizeof(struct gf_result);
	default:
		return 0;
	}
}

/* The size of one record of a frame of kind. */
static size_t record_size(int32_t kind)
{
	return kind == GF_FRAME_TASK ? sizeof(struct gf_task) : sizeof(struct gf_result);
}

size_t gf_frame_encode(void *buf, const struct gf_frame *h, const void *records)
{
	size_t size = gf_frame_size(h->kind, h->count), body;
	struct gf_frame head = *h;

	if (!size)
		return 0;
	head.magic = GF_FRAME_MAGIC;
	memset(buf, 0, size);
	memcpy(buf, &head, sizeof(head));
	body = (size_t)h->count * record_size(h->kind);
	if (body)
		memcpy((unsigned char *)buf + sizeof(head), records, body);
	return size;
}

ssize_t gf_frame_decode(const void *buf, size_t len, struct gf_frame *h,
			const unsigned char **records)
{
	size_t size;

	if (len < sizeof(*h))
		return 0;
	memcpy(h, buf, sizeof(*h));
	size = gf_frame_size(h->kind, h->count);
	if (h->magic != GF_FRAME_MAGIC || !size || h->more < 0 ||
	    (h->more && h->kind != GF_FRAME_TASK))
		return -EPROTO;
	if (len < size)
		return 0;
	*records = (const unsigned char *)buf + sizeof(*h);
	return (ssize_t)size;
}

void gf_frame_result(const unsigned char *records, int32_t k, struct gf_result *out)
{
	memcpy(out, records + (size_t)k * sizeof(*out), sizeof(*out));
}

int gf_frame_send(int fd, const struct gf_frame *h, const void *records)
{
	unsigned char buf[PIPE_BUF];
	size_t size = gf_frame_encode(buf, h, records);

	return size ? gf_write_full(fd, buf, size) : -EINVAL;
}

int gf_frames_send_tasks(int fd, const struct gf_task *tasks, size_t n, size_t stops, int chunk,
			 size_t *sent)
{
	enum { PER_WRITE = PIPE_BUF / GF_TASK_FRAME };
	unsigned char buf[PER_WRITE * GF_TASK_FRAME];
	size_t first = *sent / GF_TASK_FRAME, skip = *sent % GF_TASK_FRAME, k = 0;
	ssize_t w;

	for (size_t f = first; f < n + stops && k < PER_WRITE; f++, k++) {
		size_t more = chunk && f < n ? n - 1 - f : 0;
		struct gf_frame h = { .kind = f < n ? GF_FRAME_TASK : GF_FRAME_STOP,
				      .count = f<n, .more = more> INT32_MAX ? INT32_MAX
									    : (int32_t)more };

		gf_frame_encode(buf + k * GF_TASK_FRAME, &h, f < n ? &tasks[f] : NULL);
	}
	if (k * GF_TASK_FRAME <= skip)
		return 0;
	w = gf_write_some(fd, buf + skip, k * GF_TASK_FRAME - skip);
	if (w < 0)
		return (int)w;
	*sent += (size_t)w;
	return 0;
}

int gf_inbox_read(int fd, struct gf_inbox *in, gf_frame_fn fn, void *ctx)
{
	ssize_t r = gf_read_some(fd, in->buf + in->have, sizeof(in->buf) - in->have);
	size_t used = 0;

	if (r < 0)
		return (int)r;
	if (r == 0)
		return in->have ? -EIO : 1;
	in->have += (size_t)r;
	for (;;) {
		struct gf_frame h;
		const unsigned char *rec;
		ssize_t size = gf_frame_decode(in->buf + used, in->have - used, &h, &rec);
		int rc;

		if (size < 0)
			return (int)size;
		if (size == 0)
			break;
		used += (size_t)size;
		if ((rc = fn(ctx, &h, rec)))
			return rc;
	}
	memmove(in->buf, in->buf + used, in->have - used);
	in->have -= used;
	return 0;
}
