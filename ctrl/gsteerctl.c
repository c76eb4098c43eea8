/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gsteerctl: the operator's view of gsteerd.  It sends one JSON request a
 * line to gsteerd's control socket (daemon.socket) and prints the reply as
 * a table, or as is with --json.  The protocol and the exit codes are in
 * docs/operations.md; the exit codes are the interface scripts rely on:
 *
 *   0 ok, 1 gsteerd refused the request, 2 usage error (including a config
 *   file that does not load), 3 gsteerd cannot be reached or did not answer.
 *
 * No DPDK and no state: everything shown comes from gsteerd's reply, times
 * included (ages are gsteerd's now_ns minus since_ns, so a skewed local
 * clock cannot make them wrong).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "gs_config.h"

#define PROG "gsteerctl"
#define DEFAULT_SOCKET "/run/gsteer/gsteerd.sock"

enum exit_code {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,     /* gsteerd answered {"ok":false,...} */
	EXIT_USAGE = 2,       /* bad command line or config file */
	EXIT_UNREACHABLE = 3, /* no socket, refused, timeout, garbled reply */
};

/* every wait on the socket (connect, send, each part of a reply) */
#define SOCKET_TIMEOUT_MS 5000
/* a reply beyond this is not one gsteerd would send: stop reading */
#define REPLY_MAX (64u * 1024 * 1024)

/* ======================================================================== */
/* Command line                                                             */
/* ======================================================================== */

struct options {
	const char *socket;
	const char *config;
	bool json;
	const char *command;
	const char *appliance; /* drain, undrain, set-state */
	const char *group;     /* drain, undrain, set-state */
	const char *state;     /* set-state */
	uint64_t since;        /* events */
	uint64_t interval_ms;  /* watch */
	uint64_t count;        /* watch; 0: until interrupted */
	/* which command-specific options were given, to reject misplaced ones */
	const char *given_group, *given_since, *given_interval, *given_count;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: " PROG " [--socket PATH | --config FILE] [--json] COMMAND [ARGS]\n"
		"\n"
		"Shows and changes what gsteerd, the gsteer control daemon, decides:\n"
		"appliance states and health, traffic, flow-table occupancy, drops.\n"
		"\n"
		"Commands:\n"
		"  show                      appliances: group, id, state, time in that\n"
		"                            state, last active check, in-band probe\n"
		"                            latency, pinned flows, packets/s sent to the\n"
		"                            appliance (TX/s) and returned by it (RX/s)\n"
		"  drops                     the data plane's drop reasons that are not\n"
		"                            zero, largest first\n"
		"  flows                     flow-table occupancy: used / capacity\n"
		"  drain APP [--group G]     stop giving appliance APP new flows; its flows\n"
		"                            finish or leave after the group's\n"
		"                            deregistration_delay_s\n"
		"  undrain APP [--group G]   take APP back; the reply gives its state now\n"
		"                            (--group is needed when APP is in several groups)\n"
		"  set-state APP STATE [--group G]\n"
		"                            for a data plane run without gsteerd (bare-metal\n"
		"                            benchmarks): with --socket at its control socket,\n"
		"                            force APP healthy, unhealthy, draining or\n"
		"                            removed.  gsteerd refuses it (exit 1): with\n"
		"                            gsteerd running, its checks decide\n"
		"  events [--since SEQ]      state changes gsteerd decided, with their\n"
		"                            reason; only those after SEQ when given\n"
		"  watch [--interval-ms N] [--count N]\n"
		"                            show again every N ms (default 1000), N times\n"
		"                            (default: until interrupted); the screen is\n"
		"                            cleared only when stdout is a terminal.  If\n"
		"                            gsteerd goes away after the first refresh,\n"
		"                            each refresh says so and retries; the exit\n"
		"                            status is that of the last refresh\n"
		"  ping                      is gsteerd up, and is its data plane?\n"
		"\n"
		"Options:\n"
		"  --socket PATH   gsteerd's socket (default " DEFAULT_SOCKET ")\n"
		"  --config FILE   take the socket from FILE's daemon.socket; the whole\n"
		"                  file is checked as gsteerd checks it\n"
		"  --json          print gsteerd's reply line as it is, for scripts (drops,\n"
		"                  flows and watch print show's reply; watch one a line)\n"
		"  -h, --help      this text\n"
		"  -V, --version   print the version\n"
		"\n"
		"Exit status:\n"
		"  0  success\n"
		"  1  gsteerd refused the request; its error is printed on stderr\n"
		"  2  usage error, or the --config file does not load\n"
		"  3  gsteerd cannot be reached: no socket, connection refused,\n"
		"     permission denied, no progress for 5 s, or a reply that is not\n"
		"     gsteerd's (not JSON, cut short, or from the data plane's socket)\n"
		"\n"
		"The socket is mode 0600: run as root, as gsteerd's user, or as its\n"
		"daemon.control_user / control_group.  See docs/operations.md.\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see " PROG " --help)\n", stderr);
	return EXIT_USAGE;
}

/*
 * "--name VALUE" or "--name=VALUE".  Returns 1 when argv[*i] is the option
 * (then *value is set and *i points at its last word), 0 when it is not,
 * -1 when it is but its value is missing.
 */
static int option_value(int argc, char **argv, int *i, const char *name,
			const char **value)
{
	const char *arg = argv[*i];
	size_t n = strlen(name);

	if (strncmp(arg, name, n) != 0)
		return 0;
	if (arg[n] == '=') {
		*value = arg + n + 1;
		return 1;
	}
	if (arg[n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*value = argv[++*i];
	return 1;
}

/* a whole decimal number in [min, max]; no sign, no spaces, no suffix */
static int parse_uint(const char *option, const char *text, uint64_t min,
		      uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (text[0] < '0' || text[0] > '9')
		goto bad;
	v = strtoull(text, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	usage_error("%s must be an integer from %" PRIu64 " to %" PRIu64 " (got '%s')",
		    option, min, max, text);
	return -1;
}

static const char *const commands[] = {
	"show", "drops", "flows", "drain", "undrain", "set-state", "events", "watch", "ping",
	NULL,
};

static bool known_command(const char *name)
{
	for (const char *const *c = commands; *c; c++)
		if (!strcmp(*c, name))
			return true;
	return false;
}

/* an option that belongs to other commands than the one given */
static int misplaced(const char *given, const char *option, const char *owners,
		     const char *command)
{
	if (!given)
		return 0;
	usage_error("%s is an option of %s, not of '%s'", option, owners, command);
	return -1;
}

/* Returns -1 to go on, or the exit code (help and version exit 0). */
static int parse_args(int argc, char **argv, struct options *o)
{
	const char *positional[3];
	int n_positional = 0;

	memset(o, 0, sizeof(*o));
	o->interval_ms = 1000;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *value = NULL, *name = NULL;
		static const char *const valued[] = {
			"--socket", "--config", "--group", "--since", "--interval-ms",
			"--count", NULL,
		};
		int found = 0;

		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			usage(stdout);
			return EXIT_OK;
		}
		if (!strcmp(arg, "-V") || !strcmp(arg, "--version")) {
			printf(PROG " %s\n", GS_VERSION);
			return EXIT_OK;
		}
		if (!strcmp(arg, "--json")) {
			o->json = true;
			continue;
		}
		for (const char *const *v = valued; *v && !found; v++) {
			found = option_value(argc, argv, &i, *v, &value);
			name = *v;
		}
		if (found < 0)
			return usage_error("%s needs a value", name);
		if (found) {
			if (!strcmp(name, "--socket"))
				o->socket = value;
			else if (!strcmp(name, "--config"))
				o->config = value;
			else if (!strcmp(name, "--group"))
				o->group = o->given_group = value;
			else if (!strcmp(name, "--since")) {
				o->given_since = value;
				if (parse_uint(name, value, 0, INT64_MAX, &o->since) < 0)
					return EXIT_USAGE;
			} else if (!strcmp(name, "--interval-ms")) {
				o->given_interval = value;
				/* below 100 ms the table is unreadable and gsteerd
				 * would spend its time building replies */
				if (parse_uint(name, value, 100, 86400000, &o->interval_ms) < 0)
					return EXIT_USAGE;
			} else {
				o->given_count = value;
				if (parse_uint(name, value, 1, 1000000000, &o->count) < 0)
					return EXIT_USAGE;
			}
			continue;
		}
		if (arg[0] == '-' && arg[1] != '\0')
			return usage_error("unknown option '%s'", arg);
		if (n_positional == (int)(sizeof(positional) / sizeof(positional[0])))
			return usage_error("unexpected argument '%s'", arg);
		positional[n_positional++] = arg;
	}

	if (o->socket && o->config)
		return usage_error("give --socket or --config, not both");
	if (o->socket && o->socket[0] == '\0')
		return usage_error("--socket must not be empty");
	if (n_positional == 0)
		return usage_error("no command given");
	o->command = positional[0];
	if (!known_command(o->command))
		return usage_error("unknown command '%s'", o->command);

	bool set_state = !strcmp(o->command, "set-state");
	bool takes_app = set_state || !strcmp(o->command, "drain") ||
			 !strcmp(o->command, "undrain");
	int n_args = takes_app ? (set_state ? 3 : 2) : 1;
	if (set_state) {
		if (n_positional < 3)
			return usage_error("set-state needs an appliance id and a state");
		o->state = positional[2];
		if (strcmp(o->state, "healthy") && strcmp(o->state, "unhealthy") &&
		    strcmp(o->state, "draining") && strcmp(o->state, "removed"))
			return usage_error("state '%s': one of healthy, unhealthy, draining, removed",
					   o->state);
	}
	if (takes_app) {
		if (n_positional < 2)
			return usage_error("%s needs an appliance id", o->command);
		o->appliance = positional[1];
		if (o->appliance[0] == '\0')
			return usage_error("the appliance id must not be empty");
		if (o->group && o->group[0] == '\0')
			return usage_error("--group must not be empty");
	}
	if (n_positional > n_args)
		return usage_error("unexpected argument '%s' after '%s'",
				   positional[n_args], o->command);
	if ((!takes_app && misplaced(o->given_group, "--group", "drain, undrain and set-state",
				     o->command) < 0) ||
	    (strcmp(o->command, "events") &&
	     misplaced(o->given_since, "--since", "events", o->command) < 0) ||
	    (strcmp(o->command, "watch") &&
	     (misplaced(o->given_interval, "--interval-ms", "watch", o->command) < 0 ||
	      misplaced(o->given_count, "--count", "watch", o->command) < 0)))
		return EXIT_USAGE;
	return -1;
}

/* ======================================================================== */
/* The connection to gsteerd                                                */
/* ======================================================================== */

struct conn {
	const char *path;
	int fd;
	char *buf;      /* bytes received and not yet returned as a line */
	size_t len, cap;
};

static int conn_fail(const struct conn *c, char *err, size_t errlen,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "cannot reach gsteerd at PATH: WHY" */
static int conn_fail(const struct conn *c, char *err, size_t errlen,
		     const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(err, errlen, "cannot reach gsteerd at %s: ", c->path);
	if (n < 0 || (size_t)n >= errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->len = 0;
}

/* why connect() failed, in the operator's terms */
static const char *connect_hint(int e)
{
	switch (e) {
	case ENOENT:
		return "no such socket (is gsteerd running? the path is daemon.socket "
		       "in its config)";
	case ECONNREFUSED:
		return "connection refused (a socket file left by a gsteerd that is "
		       "no longer running?)";
	case EACCES:
	case EPERM:
		return "permission denied (the socket is 0600: run as root, as "
		       "gsteerd's user or as its daemon.control_user)";
	case ENOTDIR:
		return "a component of the path is not a directory";
	case ENOTSOCK:
	case EPROTOTYPE:
		return "the path is not a stream socket";
	default:
		return NULL;
	}
}

static int conn_open(struct conn *c, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = now_ms() + SOCKET_TIMEOUT_MS;

	conn_close(c);
	if (strlen(c->path) >= sizeof(sa.sun_path))
		return conn_fail(c, err, errlen, "path longer than %zu bytes",
				 sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return conn_fail(c, err, errlen, "socket: %s", strerror(errno));
	/* A Unix connect never waits in the background: EAGAIN means the
	 * daemon's accept queue is full (it is not accepting), so retry until
	 * the deadline rather than block in a blocking connect forever. */
	for (;;) {
		const char *hint;
		struct stat st;

		if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && now_ms() < deadline) {
			usleep(10000);
			continue;
		}
		if (errno == EAGAIN) {
			conn_fail(c, err, errlen,
				  "not accepting connections for %d s (listen queue full)",
				  SOCKET_TIMEOUT_MS / 1000);
		} else if (errno == ECONNREFUSED && lstat(c->path, &st) == 0 &&
			   !S_ISSOCK(st.st_mode)) {
			/* Linux refuses a connect to a plain file the same way
			 * as to a dead socket: tell the two apart */
			conn_fail(c, err, errlen, "exists but is not a socket");
		} else {
			hint = connect_hint(errno);
			if (hint)
				conn_fail(c, err, errlen, "%s", hint);
			else
				conn_fail(c, err, errlen, "%s", strerror(errno));
		}
		conn_close(c);
		return -1;
	}
}

/* wait for @events on the socket; 0 when ready, -1 with @err on timeout */
static int conn_wait(struct conn *c, short events, const char *doing, char *err,
		     size_t errlen)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	int64_t deadline = now_ms() + SOCKET_TIMEOUT_MS;

	for (;;) {
		int64_t left = deadline - now_ms();
		int rc;

		if (left <= 0)
			return conn_fail(c, err, errlen, "no progress %s for %d s",
					 doing, SOCKET_TIMEOUT_MS / 1000);
		rc = poll(&p, 1, (int)left);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return conn_fail(c, err, errlen, "poll: %s", strerror(errno));
	}
}

static int conn_send(struct conn *c, const char *line, char *err, size_t errlen)
{
	size_t len = strlen(line), off = 0;

	while (off < len) {
		/* MSG_NOSIGNAL: a vanished gsteerd gives exit 3 and a message.
		 * SIGPIPE keeps its default for stdout, so "| head" ends us
		 * quietly as it ends any other tool */
		ssize_t n = send(c->fd, line + off, len - off, MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (conn_wait(c, POLLOUT, "sending the request", err, errlen) < 0)
				return -1;
			continue;
		}
		return conn_fail(c, err, errlen, "sending the request: %s",
				 n < 0 ? strerror(errno) : "nothing sent");
	}
	return 0;
}

/*
 * Read one reply line, whatever its size: gsteerd's show grows with the
 * fleet.  Returns a NUL-terminated copy without the newline (free it), or
 * NULL with @err.  Bytes after the newline stay for the next reply.
 */
static char *conn_read_line(struct conn *c, char *err, size_t errlen)
{
	size_t scanned = 0;

	for (;;) {
		/* nothing buffered yet: c->buf may still be NULL */
		char *nl = c->len > scanned ?
			memchr(c->buf + scanned, '\n', c->len - scanned) : NULL;
		ssize_t n;

		if (nl) {
			size_t line_len = (size_t)(nl - c->buf);
			char *line = malloc(line_len + 1);

			if (!line) {
				conn_fail(c, err, errlen, "out of memory for a %zu-byte reply",
					  line_len);
				return NULL;
			}
			memcpy(line, c->buf, line_len);
			line[line_len] = '\0';
			if (line_len > 0 && line[line_len - 1] == '\r')
				line[line_len - 1] = '\0';
			c->len -= line_len + 1;
			memmove(c->buf, nl + 1, c->len);
			return line;
		}
		scanned = c->len;
		if (c->len >= REPLY_MAX) {
			conn_fail(c, err, errlen, "reply longer than %u bytes", REPLY_MAX);
			return NULL;
		}
		if (c->cap - c->len < 65536) {
			size_t cap = c->cap ? c->cap * 2 : 131072;
			char *grown = realloc(c->buf, cap);

			if (!grown) {
				conn_fail(c, err, errlen, "out of memory for a reply over %zu bytes",
					  c->len);
				return NULL;
			}
			c->buf = grown;
			c->cap = cap;
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n == 0) {
			conn_fail(c, err, errlen, c->len ?
				  "connection closed in the middle of a reply" :
				  "gsteerd closed the connection without replying");
			return NULL;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			conn_fail(c, err, errlen, "reading the reply: %s", strerror(errno));
			return NULL;
		}
		if (conn_wait(c, POLLIN, "waiting for the reply", err, errlen) < 0)
			return NULL;
	}
}

/* one exchange on the connection as it is (opened when closed) */
static int request_once(struct conn *c, json_t *req, char **raw, json_t **reply,
			char *err, size_t errlen)
{
	char *text = json_dumps(req, JSON_COMPACT), *line = NULL;
	json_error_t jerr;
	json_t *ok, *msg;
	int rc = EXIT_UNREACHABLE;
	size_t n;

	*raw = NULL;
	*reply = NULL;
	if (!text) {
		snprintf(err, errlen, "cannot encode the request (invalid UTF-8 in an argument?)");
		return EXIT_USAGE;
	}
	n = strlen(text);
	line = malloc(n + 2);
	if (!line) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	memcpy(line, text, n);
	memcpy(line + n, "\n", 2);
	if ((c->fd < 0 && conn_open(c, err, errlen) < 0) ||
	    conn_send(c, line, err, errlen) < 0)
		goto out;
	*raw = conn_read_line(c, err, errlen);
	if (!*raw)
		goto out;
	*reply = json_loads(*raw, JSON_REJECT_DUPLICATES, &jerr);
	if (!*reply || !json_is_object(*reply)) {
		conn_fail(c, err, errlen, "reply is not a JSON object: %s",
			  *reply ? "another JSON value" : jerr.text);
		goto out;
	}
	ok = json_object_get(*reply, "ok");
	if (!json_is_boolean(ok)) {
		conn_fail(c, err, errlen, "reply has no boolean \"ok\"");
		goto out;
	}
	if (json_is_false(ok)) {
		msg = json_object_get(*reply, "error");
		snprintf(err, errlen, "gsteerd: %s",
			 json_is_string(msg) ? json_string_value(msg) : "request refused, no reason given");
		rc = EXIT_REFUSED;
		goto out;
	}
	rc = EXIT_OK;
out:
	if (rc == EXIT_UNREACHABLE) {
		/* a connection in an unknown state is not reused (watch) */
		conn_close(c);
		json_decref(*reply);
		*reply = NULL;
	}
	free(text);
	free(line);
	return rc;
}

/*
 * One request, one reply.  *raw gets the reply line as sent (for --json)
 * and *reply its parsed object.  Returns an exit code: EXIT_OK,
 * EXIT_REFUSED (the daemon's error in @err) or EXIT_UNREACHABLE.
 */
static int request(struct conn *c, json_t *req, char **raw, json_t **reply,
		   char *err, size_t errlen)
{
	bool reused = c->fd >= 0;
	int rc = request_once(c, req, raw, reply, err, errlen);

	/* watch keeps its connection between refreshes; if gsteerd restarted
	 * meanwhile that connection is dead, but the new daemon may be up:
	 * try it once before calling it unreachable */
	if (rc == EXIT_UNREACHABLE && reused) {
		free(*raw);
		rc = request_once(c, req, raw, reply, err, errlen);
	}
	return rc;
}

/* ======================================================================== */
/* Reading replies: tolerant, so that a field gsteerd leaves out shows as  */
/* "-" instead of stopping the whole table                                 */
/* ======================================================================== */

static const char *jget_str(json_t *o, const char *key, const char *missing)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : missing;
}

static bool jget_num(json_t *o, const char *key, double *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

static bool jget_int(json_t *o, const char *key, int64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return false;
	*out = json_integer_value(v);
	return true;
}

/* "12s", "3m", "5h", "2d": the largest unit that is at least 1 */
static void format_age(int64_t ns, char *buf, size_t len)
{
	int64_t s = ns / 1000000000;

	if (ns < 0)
		snprintf(buf, len, "-");
	else if (s < 60)
		snprintf(buf, len, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRId64 "m", s / 60);
	else if (s < 86400 * 2)
		snprintf(buf, len, "%" PRId64 "h", s / 3600);
	else
		snprintf(buf, len, "%" PRId64 "d", s / 86400);
}

static void format_rate(double pps, char *buf, size_t len)
{
	if (pps < 0 || isnan(pps))
		snprintf(buf, len, "-");
	else if (pps < 10)
		snprintf(buf, len, "%.1f", pps);
	else if (pps < 1e6)
		snprintf(buf, len, "%.0f", pps);
	else
		snprintf(buf, len, "%.2fM", pps / 1e6);
}

/* CLOCK_REALTIME ns -> "2026-11-26 08:53:05.123" in UTC */
static void format_time(int64_t ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;
	char day[32];

	if (ns <= 0 || !gmtime_r(&s, &tm)) {
		snprintf(buf, len, "-");
		return;
	}
	strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03d", day, (int)(ns % 1000000000 / 1000000));
}

/* ======================================================================== */
/* Tables                                                                   */
/* ======================================================================== */

#define TABLE_MAX_COLS 10

struct table {
	int n_cols;
	const char *heads[TABLE_MAX_COLS];
	bool right[TABLE_MAX_COLS]; /* numbers line up on the right */
	char **cells;               /* n_rows * n_cols strings */
	size_t n_rows, cap_rows;
};

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n_rows * (size_t)t->n_cols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->n_rows = t->cap_rows = 0;
}

/* one row of n_cols strings; control characters from the daemon become '?'
 * so a strange id cannot move the cursor on the operator's terminal */
static int table_add(struct table *t, const char *const *row)
{
	if (t->n_rows == t->cap_rows) {
		size_t cap = t->cap_rows ? t->cap_rows * 2 : 16;
		char **grown = realloc(t->cells, cap * (size_t)t->n_cols * sizeof(*grown));

		if (!grown)
			return -1;
		t->cells = grown;
		t->cap_rows = cap;
	}
	for (int i = 0; i < t->n_cols; i++) {
		char *s = strdup(row[i] ? row[i] : "-");

		if (!s) {
			for (int j = 0; j < i; j++)
				free(t->cells[t->n_rows * (size_t)t->n_cols + (size_t)j]);
			return -1;
		}
		for (char *p = s; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		t->cells[t->n_rows * (size_t)t->n_cols + (size_t)i] = s;
	}
	t->n_rows++;
	return 0;
}

static void table_print(const struct table *t, FILE *out)
{
	size_t width[TABLE_MAX_COLS];

	for (int i = 0; i < t->n_cols; i++) {
		width[i] = strlen(t->heads[i]);
		for (size_t r = 0; r < t->n_rows; r++) {
			size_t w = strlen(t->cells[r * (size_t)t->n_cols + (size_t)i]);

			if (w > width[i])
				width[i] = w;
		}
	}
	for (size_t r = 0; r <= t->n_rows; r++) {
		for (int i = 0; i < t->n_cols; i++) {
			const char *s = r == 0 ? t->heads[i] :
				t->cells[(r - 1) * (size_t)t->n_cols + (size_t)i];
			bool last = i == t->n_cols - 1;

			if (t->right[i])
				fprintf(out, "%*s", (int)width[i], s);
			else if (last)
				fputs(s, out);
			else
				fprintf(out, "%-*s", (int)width[i], s);
			fputs(last ? "\n" : "  ", out);
		}
	}
}

/* ======================================================================== */
/* Commands                                                                 */
/* ======================================================================== */

/* "ok HTTP 200", "FAIL timeout", "-" with no active check, "pending" */
static void format_active(json_t *active, char *buf, size_t len)
{
	const char *protocol = jget_str(active, "protocol", NULL);
	const char *detail = jget_str(active, "detail", "");
	json_t *ok = json_object_get(active, "ok");

	if (!active || (protocol && !strcmp(protocol, "none")))
		snprintf(buf, len, "-");
	else if (!json_is_boolean(ok))
		snprintf(buf, len, "pending");
	else
		snprintf(buf, len, "%s%s%.40s", json_is_true(ok) ? "ok" : "FAIL",
			 detail[0] ? " " : "", detail);
}

/* "off", "-" before the first probe, "FAIL", or its round trip */
static void format_probe(json_t *probe, char *buf, size_t len)
{
	json_t *enabled = json_object_get(probe, "enabled");
	json_t *ok = json_object_get(probe, "ok");
	double rtt;

	if (!probe || json_is_false(enabled))
		snprintf(buf, len, "off");
	else if (json_is_false(ok))
		snprintf(buf, len, "FAIL");
	else if (!jget_num(probe, "rtt_us", &rtt))
		snprintf(buf, len, "-");
	else if (rtt < 1000)
		snprintf(buf, len, "%.0fus", rtt);
	else
		snprintf(buf, len, "%.1fms", rtt / 1000);
}

/* "120 / 65536 (0.2%)" */
static void format_occupancy(json_t *flow_table, char *buf, size_t len)
{
	int64_t used, capacity;

	if (!jget_int(flow_table, "used", &used) ||
	    !jget_int(flow_table, "capacity", &capacity) || capacity <= 0)
		snprintf(buf, len, "not read yet");
	else
		snprintf(buf, len, "%" PRId64 " / %" PRId64 " (%.1f%%)", used, capacity,
			 100.0 * (double)used / (double)capacity);
}

static bool dataplane_connected(json_t *reply)
{
	json_t *dp = json_object_get(reply, "dataplane");

	return json_is_true(json_object_get(dp, "connected"));
}

static int print_show(json_t *reply, FILE *out)
{
	json_t *dp = json_object_get(reply, "dataplane");
	json_t *apps = json_object_get(reply, "appliances"), *a;
	struct table t = {
		.n_cols = 9,
		.heads = { "GROUP", "ID", "STATE", "SINCE", "CHECK", "PROBE", "FLOWS",
			   "TX/s", "RX/s" },
		.right = { [3] = true, [5] = true, [6] = true, [7] = true, [8] = true },
	};
	char occupancy[64];
	int64_t now = 0;
	size_t i;
	int rc = 0;

	jget_int(reply, "now_ns", &now);
	if (dataplane_connected(reply)) {
		format_occupancy(json_object_get(dp, "flow_table"), occupancy,
				 sizeof(occupancy));
		fprintf(out, "backend %s, data plane connected, flow table %s\n",
			jget_str(reply, "backend", "?"), occupancy);
	} else {
		fprintf(out, "backend %s, data plane DOWN (gsteerd keeps retrying; "
			"forwarding continues with the last states)\n",
			jget_str(reply, "backend", "?"));
	}
	if (!json_is_array(apps) || json_array_size(apps) == 0) {
		fprintf(out, "no appliances\n");
		return 0;
	}
	json_array_foreach(apps, i, a) {
		json_t *checks = json_object_get(a, "checks");
		json_t *passive = json_object_get(checks, "passive");
		char state[96], age[32], active[64], probe[32], flows[32], tx[32], rx[32];
		const char *st = jget_str(a, "state", "?");
		int64_t since, n;
		double pps;

		/* operator's drain and the passive signal change what the state
		 * means, so they travel with it */
		snprintf(state, sizeof(state), "%s%s%s", st,
			 json_is_true(json_object_get(a, "drained")) && strcmp(st, "draining") ?
				" (drained)" : "",
			 json_is_true(json_object_get(passive, "suspect")) ? " (suspect)" : "");
		if (jget_int(a, "since_ns", &since) && since > 0 && now > 0)
			format_age(now - since, age, sizeof(age));
		else
			snprintf(age, sizeof(age), "-");
		format_active(json_object_get(checks, "active"), active, sizeof(active));
		format_probe(json_object_get(checks, "probe"), probe, sizeof(probe));
		if (jget_int(a, "flows", &n))
			snprintf(flows, sizeof(flows), "%" PRId64, n);
		else
			snprintf(flows, sizeof(flows), "-");
		format_rate(jget_num(a, "tx_pps", &pps) ? pps : -1, tx, sizeof(tx));
		format_rate(jget_num(a, "rx_pps", &pps) ? pps : -1, rx, sizeof(rx));
		const char *row[] = { jget_str(a, "group", "?"), jget_str(a, "id", "?"),
				      state, age, active, probe, flows, tx, rx };
		if (table_add(&t, row) < 0) {
			fprintf(stderr, PROG ": out of memory\n");
			rc = -1;
			goto out;
		}
	}
	table_print(&t, out);
out:
	table_free(&t);
	return rc;
}

struct drop {
	const char *reason;
	int64_t count;
};

/* largest first; equal counts by name, so the order is stable */
static int drop_cmp(const void *pa, const void *pb)
{
	const struct drop *a = pa, *b = pb;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->reason, b->reason);
}

static int print_drops(json_t *reply)
{
	json_t *drops = json_object_get(json_object_get(reply, "dataplane"), "drops");
	struct table t = {
		.n_cols = 2,
		.heads = { "REASON", "PACKETS" },
		.right = { [1] = true },
	};
	struct drop *list;
	const char *reason;
	size_t n = 0;
	json_t *v;
	int rc = 0;

	if (!dataplane_connected(reply)) {
		printf("data plane down: gsteerd has no drop counters now\n");
		return 0;
	}
	if (!json_is_object(drops)) {
		/* connected a moment ago, first statistics not read yet */
		printf("data plane connected, no drop counters read yet\n");
		return 0;
	}
	list = calloc(json_object_size(drops) + 1, sizeof(*list));
	if (!list) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	json_object_foreach(drops, reason, v) {
		if (json_is_integer(v) && json_integer_value(v) != 0)
			list[n++] = (struct drop){ reason, json_integer_value(v) };
	}
	qsort(list, n, sizeof(*list), drop_cmp);
	if (n == 0)
		printf("no drops\n");
	for (size_t i = 0; i < n && rc == 0; i++) {
		char count[32];

		snprintf(count, sizeof(count), "%" PRId64, list[i].count);
		const char *row[] = { list[i].reason, count };
		rc = table_add(&t, row);
	}
	if (rc < 0)
		fprintf(stderr, PROG ": out of memory\n");
	else if (n > 0)
		table_print(&t, stdout);
	table_free(&t);
	free(list);
	return rc;
}

static int print_flows(json_t *reply)
{
	char occupancy[64];

	if (!dataplane_connected(reply)) {
		printf("data plane down: flow-table occupancy unknown\n");
		return 0;
	}
	format_occupancy(json_object_get(json_object_get(reply, "dataplane"), "flow_table"),
			 occupancy, sizeof(occupancy));
	printf("flow table used: %s\n", occupancy);
	return 0;
}

static int print_events(json_t *reply, uint64_t since)
{
	json_t *events = json_object_get(reply, "events"), *e;
	struct table t = {
		.n_cols = 5,
		.heads = { "SEQ", "TIME (UTC)", "APPLIANCE", "CHANGE", "WHY" },
		.right = { [0] = true },
	};
	size_t i;
	int rc = 0;

	if (!json_is_array(events) || json_array_size(events) == 0) {
		if (since)
			printf("no events after %" PRIu64 "\n", since);
		else
			printf("no events\n");
		return 0;
	}
	json_array_foreach(events, i, e) {
		char seq[32], at[40], app[160], change[64];
		int64_t v;

		if (jget_int(e, "seq", &v))
			snprintf(seq, sizeof(seq), "%" PRId64, v);
		else
			snprintf(seq, sizeof(seq), "-");
		format_time(jget_int(e, "at_ns", &v) ? v : 0, at, sizeof(at));
		snprintf(app, sizeof(app), "%s/%s", jget_str(e, "group", "?"),
			 jget_str(e, "appliance", "?"));
		snprintf(change, sizeof(change), "%s -> %s", jget_str(e, "from", "?"),
			 jget_str(e, "to", "?"));
		const char *row[] = { seq, at, app, change, jget_str(e, "why", "") };
		if (table_add(&t, row) < 0) {
			fprintf(stderr, PROG ": out of memory\n");
			rc = -1;
			goto out;
		}
	}
	table_print(&t, stdout);
out:
	table_free(&t);
	return rc;
}

static json_t *build_request(const struct options *o)
{
	const char *cmd = o->command;
	json_t *req;

	/* drops, flows and watch are views of show */
	if (!strcmp(cmd, "drops") || !strcmp(cmd, "flows") || !strcmp(cmd, "watch"))
		cmd = "show";
	if (!strcmp(cmd, "set-state"))
		cmd = "set_state";
	req = json_pack("{s:s}", "cmd", cmd);
	if (!req)
		return NULL;
	if (o->state)
		json_object_set_new(req, "state", json_string(o->state));
	if (o->appliance) {
		/* json_string refuses invalid UTF-8: request() reports it */
		json_object_set_new(req, "appliance", json_string(o->appliance));
		if (o->group)
			json_object_set_new(req, "group", json_string(o->group));
		if (!json_is_string(json_object_get(req, "appliance")) ||
		    (o->group && !json_is_string(json_object_get(req, "group")))) {
			json_decref(req);
			return NULL;
		}
	}
	if (!strcmp(cmd, "events"))
		json_object_set_new(req, "since", json_integer((json_int_t)o->since));
	return req;
}

static int print_reply(const struct options *o, json_t *reply)
{
	const char *cmd = o->command;

	if (!strcmp(cmd, "show") || !strcmp(cmd, "watch"))
		return print_show(reply, stdout);
	if (!strcmp(cmd, "drops"))
		return print_drops(reply);
	if (!strcmp(cmd, "flows"))
		return print_flows(reply);
	if (!strcmp(cmd, "events"))
		return print_events(reply, o->since);
	if (!strcmp(cmd, "ping")) {
		/* gsteer-dataplane answers ping too, with only a version: a
		 * likely mix-up of the two sockets, worth saying */
		if (!json_object_get(reply, "backend")) {
			fprintf(stderr, PROG ": this socket answers ping without a backend: "
				"it is not gsteerd's (the data plane's control socket?); "
				"gsteerd's is daemon.socket in the config\n");
			return -1;
		}
		printf("gsteerd %s: backend %s, data plane %s\n",
		       jget_str(reply, "version", "?"), jget_str(reply, "backend", "?"),
		       jget_str(reply, "dataplane", "?"));
		return 0;
	}
	/* drain, undrain, set-state */
	printf("%s/%s: %s\n", jget_str(reply, "group", "?"),
	       jget_str(reply, "appliance", "?"), jget_str(reply, "state", "?"));
	return 0;
}

/* the one place a reply reaches stdout */
static int emit(const struct options *o, const char *raw, json_t *reply)
{
	if (o->json) {
		puts(raw);
		return 0;
	}
	return print_reply(o, reply);
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000),
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Refresh the show table.  The first refresh must reach gsteerd (a wrong
 * path should not spin silently); after that an unreachable gsteerd (for
 * example while systemd restarts it) is shown in place and retried, and the
 * exit code says how the last refresh went.
 */
static int watch(const struct options *o, struct conn *c, json_t *req)
{
	bool tty = isatty(STDOUT_FILENO);
	int rc = EXIT_OK;

	for (uint64_t n = 0; o->count == 0 || n < o->count; n++) {
		char err[512], stamp[40];
		char *raw = NULL;
		json_t *reply = NULL;
		struct timespec ts;

		if (n > 0)
			sleep_ms(o->interval_ms);
		rc = request(c, req, &raw, &reply, err, sizeof(err));
		/* a first refresh that fails exits: leave the screen alone */
		if (tty && !o->json && (rc == EXIT_OK || n > 0)) {
			fputs("\033[H\033[2J", stdout);
			/* before any error on stderr, or the clear wipes it */
			fflush(stdout);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		format_time((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, stamp, sizeof(stamp));
		if (rc != EXIT_OK) {
			if (rc == EXIT_REFUSED && o->json)
				puts(raw);
			fprintf(stderr, PROG ": %s\n", err);
			free(raw);
			json_decref(reply);
			if (n == 0 || rc != EXIT_UNREACHABLE)
				return rc;
			fflush(stdout);
			continue;
		}
		if (!o->json)
			printf("%s UTC, every %" PRIu64 " ms\n", stamp, o->interval_ms);
		if (emit(o, raw, reply) < 0)
			rc = EXIT_UNREACHABLE;
		free(raw);
		json_decref(reply);
		fflush(stdout);
		if (rc != EXIT_OK)
			return rc;
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct conn c = { .path = DEFAULT_SOCKET, .fd = -1 };
	struct gs_config *cfg = NULL;
	struct options o;
	json_t *req = NULL, *reply = NULL;
	char err[1024], *raw = NULL;
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	if (o.config) {
		cfg = gs_config_load(o.config, err, sizeof(err));
		if (!cfg) {
			fprintf(stderr, PROG ": %s\n", err);
			return EXIT_USAGE;
		}
		c.path = cfg->daemon.socket;
	} else if (o.socket) {
		c.path = o.socket;
	}
	req = build_request(&o);
	if (!req) {
		rc = usage_error("the appliance id and group must be valid UTF-8");
		goto out;
	}
	if (!strcmp(o.command, "watch")) {
		rc = watch(&o, &c, req);
		goto out;
	}
	rc = request(&c, req, &raw, &reply, err, sizeof(err));
	if (rc == EXIT_REFUSED && o.json)
		puts(raw);
	if (rc != EXIT_OK) {
		fprintf(stderr, PROG ": %s\n", err);
		goto out;
	}
	if (emit(&o, raw, reply) < 0)
		rc = EXIT_UNREACHABLE;
out:
	if (fflush(stdout) != 0 && rc == EXIT_OK) {
		fprintf(stderr, PROG ": writing the output: %s\n", strerror(errno));
		rc = EXIT_UNREACHABLE;
	}
	conn_close(&c);
	free(c.buf);
	free(raw);
	json_decref(reply);
	json_decref(req);
	gs_config_free(cfg);
	return rc;
}
