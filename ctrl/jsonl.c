/* SPDX-License-Identifier: BSD-3-Clause */
#include "jsonl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* replies of 1,000 appliances run to a few hundred kB; more is a bug */
#define JSONL_MAX_REPLY (64u << 20)

int gs_jsonl_connect(const char *path, unsigned timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
			      .tv_usec = (timeout_ms % 1000) * 1000 };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int gs_send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

json_t *gs_jsonl_request(int fd, const json_t *req, char *err, size_t errlen)
{
	char *line = json_dumps(req, JSON_COMPACT);
	size_t cap = 4096, len = 0;
	char *buf = NULL, *nl = NULL;
	json_error_t jerr;
	json_t *reply = NULL;

	if (!line) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (gs_send_all(fd, line, strlen(line)) < 0 || gs_send_all(fd, "\n", 1) < 0) {
		snprintf(err, errlen, "send: %s", errno == EAGAIN ? "timed out" : strerror(errno));
		goto out;
	}
	buf = malloc(cap);
	while (buf && !nl) {
		ssize_t n;

		if (len + 1 == cap) {
			char *b = cap >= JSONL_MAX_REPLY ? NULL : realloc(buf, cap * 2);

			if (!b) {
				snprintf(err, errlen, "reply longer than %u bytes", JSONL_MAX_REPLY);
				goto out;
			}
			buf = b;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s", n == 0 ? "connection closed before the reply" :
				 errno == EAGAIN ? "no reply in time" : strerror(errno));
			goto out;
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
	}
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	*nl = '\0';
	reply = json_loads(buf, 0, &jerr);
	if (!reply || !json_is_object(reply)) {
		snprintf(err, errlen, "reply is not a JSON object: %s", reply ? "" : jerr.text);
		json_decref(reply);
		reply = NULL;
	}
out:
	free(line);
	free(buf);
	return reply;
}
