/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Client side of gsteer's JSON-lines sockets (the data plane's control
 * socket, gsteerd's own): one request line out, one reply line back, with
 * a timeout on both, so a hung peer costs a bounded wait and a clear error.
 */
#ifndef GS_JSONL_H
#define GS_JSONL_H

#include <stddef.h>

#include <jansson.h>

/* connect to the Unix stream socket @path; the fd, or -1 with @err */
int gs_jsonl_connect(const char *path, unsigned timeout_ms, char *err, size_t errlen);

/* write all of @buf to the stream socket @fd (EINTR retried, no SIGPIPE);
 * 0, or -1 with errno */
int gs_send_all(int fd, const char *buf, size_t len);

/* send @req (not consumed) and read one reply line; the reply, or NULL
 * with @err (the connection is then unusable: close it) */
json_t *gs_jsonl_request(int fd, const json_t *req, char *err, size_t errlen);

#endif /* GS_JSONL_H */
