/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Socket-file hygiene shared by gsteer-dataplane and gsteerd: the one piece
 * of I/O in common/, because both daemons must create their Unix sockets
 * the same safe way.
 */
#ifndef GS_UNIXSOCK_H
#define GS_UNIXSOCK_H

#include <stddef.h>
#include <sys/types.h>

/* which file a socket was bound to, to remove only our own */
struct gs_unix_file {
	dev_t dev;
	ino_t ino;
};

/*
 * Create a non-blocking, close-on-exec Unix socket of @type (SOCK_STREAM or
 * SOCK_SEQPACKET) listening with @backlog at @path: the parent directory is created 0700 when
 * missing, a stale socket left by a dead process is replaced (anything else
 * at @path, or a socket somebody still serves, is an error) and the file is
 * created 0600, so no other user can connect in between.
 * Returns the descriptor and fills @file, or -1 with one line in @err.
 */
int gs_unix_listen(const char *path, int type, int backlog, struct gs_unix_file *file,
		   char *err, size_t errlen);

/* remove @path only if it is still the file gs_unix_listen() made (a
 * successor may already have replaced it) */
void gs_unix_unlink(const char *path, const struct gs_unix_file *file);

#endif /* GS_UNIXSOCK_H */
