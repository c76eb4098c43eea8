/* SPDX-License-Identifier: BSD-3-Clause */
#include "gs_unixsock.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* mkdir -p of @path's parent, 0700 for what we create */
static int make_parent(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash, *p, saved;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		saved = *p;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return fail(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		*p = saved;
		if (saved == '\0')
			break;
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return fail(err, errlen, "%s is not a directory", dir);
	return 0;
}

/* remove a socket nobody serves any more; refuse to touch anything else */
static int clear_stale(const struct sockaddr_un *sa, int type, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc, e;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 :
			fail(err, errlen, "%s: %s", sa->sun_path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return fail(err, errlen, "%s exists and is not a socket", sa->sun_path);
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fail(err, errlen, "socket: %s", strerror(errno));
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	e = errno;
	close(fd);
	if (rc == 0 || e == EAGAIN)
		return fail(err, errlen, "%s is in use by another process", sa->sun_path);
	if (e != ECONNREFUSED)
		return fail(err, errlen, "%s: %s", sa->sun_path, strerror(e));
	if (unlink(sa->sun_path) < 0 && errno != ENOENT)
		return fail(err, errlen, "cannot remove stale %s: %s", sa->sun_path,
			    strerror(errno));
	return 0;
}

int gs_unix_listen(const char *path, int type, int backlog, struct gs_unix_file *file,
		   char *err, size_t errlen)
{
	struct stat st;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old_mask;
	int fd, rc;

	if (!path || path[0] == '\0')
		return fail(err, errlen, "no socket path");
	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(err, errlen, "socket path longer than %zu bytes: %s",
			    sizeof(sa.sun_path) - 1, path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (make_parent(path, err, errlen) < 0 || clear_stale(&sa, type, err, errlen) < 0)
		return -1;
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, errlen, "socket: %s", strerror(errno));
	/* bind() creates the file 0600: no window in which another user could
	 * connect.  umask is per process; callers bind from one thread */
	old_mask = umask(0177);
	rc = bind(fd, (const struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (rc < 0) {
		fail(err, errlen, "bind %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (chmod(path, 0600) < 0 || stat(path, &st) < 0 || listen(fd, backlog) < 0) {
		fail(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	file->dev = st.st_dev;
	file->ino = st.st_ino;
	return fd;
}

void gs_unix_unlink(const char *path, const struct gs_unix_file *file)
{
	struct stat st;

	if (stat(path, &st) == 0 && st.st_dev == file->dev && st.st_ino == file->ino)
		unlink(path);
}
