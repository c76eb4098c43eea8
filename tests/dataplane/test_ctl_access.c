/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ctl_access: who may use the control socket (dataplane/ctl.c).
 *
 *  - the socket file is 0600, owned by the data plane's user, or given to
 *    daemon.control_user when one is set (still 0600);
 *  - peers are checked with SO_PEERCRED even when the file permissions let
 *    them connect: root and the owner are always served, control_user and
 *    members of control_group are served, anyone else gets exactly one
 *    error line, is disconnected and is counted (refused);
 *
 * Needs root (it plays other users with setuid in child processes);
 * without root it reports itself skipped (exit 77).  No EAL: the control
 * server and the ping command need none.
 */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "dp.h"

static unsigned n_fail;
static char dir[] = "/tmp/gsctl.XXXXXX";
static char path[96];

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			printf("FAIL %s:%d: ", __func__, __LINE__);            \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
			n_fail++;                                              \
		}                                                              \
	} while (0)

/*
 * In a child as @uid/@gid: connect, send {"cmd":"ping"}, read until EOF or
 * 2 s.  What was read comes back through the pipe; the parent polls the
 * server meanwhile.
 */
static int as_peer(struct gs_dp *dp, uid_t uid, gid_t gid, char *out, size_t outlen)
{
	int pfd[2];
	pid_t pid;
	size_t n = 0;
	int status;

	if (pipe(pfd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		char buf[1024];
		size_t got = 0;
		int fd;

		close(pfd[0]);
		if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
			_exit(2);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			dprintf(pfd[1], "connect: %s", strerror(errno));
			_exit(0);
		}
		/* a refused peer may be closed before it writes: ignore EPIPE */
		send(fd, "{\"cmd\":\"ping\"}\n", 15, MSG_NOSIGNAL);
		shutdown(fd, SHUT_WR);
		for (;;) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			ssize_t r;

			if (poll(&p, 1, 2000) <= 0)
				break;
			r = read(fd, buf + got, sizeof(buf) - 1 - got);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		if (write(pfd[1], buf, got) < 0)
			_exit(3);
		_exit(0);
	}
	close(pfd[1]);
	for (int i = 0; i < 3000; i++) {
		gs_ctl_poll(dp);
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		usleep(1000);
	}
	for (;;) {
		ssize_t r = read(pfd[0], out + n, outlen - 1 - n);

		if (r <= 0)
			break;
		n += (size_t)r;
	}
	out[n] = '\0';
	close(pfd[0]);
	return 0;
}

static void open_socket(struct gs_dp *dp)
{
	char err[256];

	CHECK(gs_ctl_open(dp, path, err, sizeof(err)) == 0, "gs_ctl_open: %s", err);
}

static void check_file(uid_t owner)
{
	struct stat st;

	CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode), "no socket at %s", path);
	CHECK((st.st_mode & 07777) == 0600, "socket mode %o, want 0600",
	      (unsigned)(st.st_mode & 07777));
	CHECK(st.st_uid == owner, "socket owner %u, want %u", (unsigned)st.st_uid,
	      (unsigned)owner);
}

static void expect_served(struct gs_dp *dp, const char *who, uid_t uid, gid_t gid)
{
	struct gs_ctl_stats a, b;
	char out[1024];

	gs_ctl_get_stats(&a);
	as_peer(dp, uid, gid, out, sizeof(out));
	gs_ctl_get_stats(&b);
	CHECK(strstr(out, "\"ok\":true") && strstr(out, "\"version\""),
	      "%s: not served, got '%s'", who, out);
	CHECK(b.accepted == a.accepted + 1 && b.refused == a.refused,
	      "%s: accepted %lu->%lu refused %lu->%lu", who, a.accepted, b.accepted,
	      a.refused, b.refused);
	printf("%s %s: served\n", n_fail ? "...." : "PASS", who);
}

static void expect_refused(struct gs_dp *dp, const char *who, uid_t uid, gid_t gid)
{
	struct gs_ctl_stats a, b;
	char out[1024], want[96];
	char *nl;

	/* the file permissions are the first gate: open them so that the
	 * credential check is what is tested */
	chmod(path, 0666);
	gs_ctl_get_stats(&a);
	as_peer(dp, uid, gid, out, sizeof(out));
	gs_ctl_get_stats(&b);
	snprintf(want, sizeof(want), "{\"ok\":false,\"error\":\"permission denied: uid %u may not use this socket\"}\n",
		 (unsigned)uid);
	nl = strchr(out, '\n');
	CHECK(nl && nl[1] == '\0', "%s: want exactly one line, got '%s'", who, out);
	CHECK(strcmp(out, want) == 0, "%s: got '%s', want '%s'", who, out, want);
	CHECK(b.refused == a.refused + 1 && b.accepted == a.accepted,
	      "%s: refused %lu->%lu accepted %lu->%lu", who, a.refused, b.refused,
	      a.accepted, b.accepted);
	chmod(path, 0600);
	printf("%s %s: refused with one line, counted\n", n_fail ? "...." : "PASS", who);
}

int main(void)
{
	struct gs_config *cfg = calloc(1, sizeof(*cfg));
	struct gs_dp *dp = calloc(1, sizeof(*dp));
	struct passwd *nobody, *daemon_pw;
	struct group *nogroup;
	uid_t nobody_uid, daemon_uid;
	gid_t nogroup_gid, daemon_gid;

	if (geteuid() != 0) {
		printf("SKIP test_ctl_access: needs root to play other users\n");
		return 77;
	}
	nobody = getpwnam("nobody");
	if (!nobody) {
		printf("SKIP: no user 'nobody'\n");
		return 77;
	}
	nobody_uid = nobody->pw_uid;
	daemon_pw = getpwnam("daemon");
	nogroup = getgrnam("nogroup");
	if (!daemon_pw || !nogroup || !cfg || !dp) {
		printf("SKIP: needs users nobody and daemon and group nogroup\n");
		return 77;
	}
	daemon_uid = daemon_pw->pw_uid;
	daemon_gid = daemon_pw->pw_gid;
	nogroup_gid = nogroup->gr_gid;
	if (!mkdtemp(dir))
		return 1;
	chmod(dir, 0755); /* others may reach the file; its mode decides */
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	dp->cfg = cfg;

	/* 1. defaults: owner (root) only */
	open_socket(dp);
	check_file(0);
	expect_served(dp, "root", 0, 0);
	expect_refused(dp, "nobody without control_user", nobody_uid, nogroup_gid);
	gs_ctl_close();
	CHECK(access(path, F_OK) != 0, "socket file left behind");

	/* 2. control_user: the file is given to that user, still 0600 */
	snprintf(cfg->daemon.control_user, sizeof(cfg->daemon.control_user), "nobody");
	open_socket(dp);
	check_file(nobody_uid);
	expect_served(dp, "control_user nobody", nobody_uid, nogroup_gid);
	expect_served(dp, "root with control_user set", 0, 0);
	expect_refused(dp, "daemon, not the control_user", daemon_uid, daemon_gid);
	gs_ctl_close();

	/* 3. control_group: a peer whose group it is may use it */
	cfg->daemon.control_user[0] = '\0';
	snprintf(cfg->daemon.control_group, sizeof(cfg->daemon.control_group), "nogroup");
	open_socket(dp);
	check_file(0);
	chmod(path, 0666);
	expect_served(dp, "daemon in group nogroup", daemon_uid, nogroup_gid);
	expect_refused(dp, "daemon in its own group", daemon_uid, daemon_gid);
	gs_ctl_close();

	rmdir(dir);
	free(dp);
	free(cfg);
	printf("%s test_ctl_access (%u failure(s))\n", n_fail ? "FAIL" : "PASS", n_fail);
	return n_fail ? 1 : 0;
}
