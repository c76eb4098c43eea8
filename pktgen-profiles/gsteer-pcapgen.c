/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gsteer-pcapgen: GENEVE traffic for gsteer, written as a classic pcap
 * (libpcap, microsecond timestamps: what Pktgen-DPDK and net_pcap read),
 * plus the gsteer config that forwards it.
 *
 * Every frame is what an upstream sends to a gsteer listener: Ethernet,
 * outer IPv4/IPv6, UDP to 6081, GENEVE with the AWS GWLB options (endpoint
 * id, attachment id, flow cookie), and an inner IPv4/IPv6 TCP or UDP packet
 * with correct checksums.  The outer headers come from common/gs_encap.c,
 * the cookie and the outer UDP source port from common/gs_flow.h (the same
 * symmetric hash gsteer uses), so both directions of a flow carry the same
 * cookie and the same entropy port.
 *
 * Everything is a pure function of the options and --seed: the same command
 * writes the same bytes.  See --help and pktgen-profiles/README.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <pcap/pcap.h>

#include "gs_config.h"
#include "gs_encap.h"
#include "gs_flow.h"
#include "gs_pkt.h"

#define PROG "gsteer-pcapgen"
#define EXIT_USAGE 2

#define MAX_FLOWS 10000000ull
#define MAX_PACKETS 1000000000ull
/* outer L3 MTU gsteer accepts on a port (docs/configuration.md) */
#define MAX_PORT_MTU 9216u
#define DEFAULT_PORT_MTU 1500u
/* pktgen 24.07.x wants at least this many packets in a pcap (PKTGEN-NOTES) */
#define MIN_DEFAULT_PACKETS 8192ull
/* timestamps: a fixed base, one microsecond apart (pktgen ignores them) */
#define TS_BASE_SEC 1700000000u

/* IMIX: 7:4:1 of these inner packet sizes, in blocks of 12 */
static const uint16_t imix_sizes[3] = { 64, 570, 1518 };
static const uint8_t imix_weights[3] = { 7, 4, 1 };
#define IMIX_BLOCK 12

enum proto_mode { PROTO_UDP, PROTO_TCP, PROTO_MIX };

struct opts {
	const char *out;
	uint64_t flows;
	uint64_t packets; /* 0: default */
	bool imix;
	uint32_t size;
	enum proto_mode proto;
	uint8_t inner; /* GS_AF_INET / GS_AF_INET6 */
	uint8_t outer;
	unsigned directions; /* 1 or 2 */
	bool interleave;
	uint64_t seed;
	const char *listener_s, *upstream_s, *app_base_s;
	struct gs_ipaddr listener, upstream, app_base;
	uint8_t src_mac[6], dst_mac[6], app_mac[6];
	bool app_mac_set;
	uint32_t appliances;
	const char *config_out;
	const char *devargs_in, *devargs_out;
	const char *control_socket;
	uint32_t vni;
	uint64_t endpoint_id, attachment_id;
	uint32_t idle_timeout; /* 0: gsteer's defaults */
	bool dry_run;
};

/* ---- errors -------------------------------------------------------------- */

static void usage_error(const char *opt, const char *val, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

/* one line naming the option, the value and why; exit 2 */
static void usage_error(const char *opt, const char *val, const char *fmt, ...)
{
	va_list ap;

	if (val)
		fprintf(stderr, PROG ": %s '%s': ", opt, val);
	else
		fprintf(stderr, PROG ": %s: ", opt);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- option parsing ------------------------------------------------------ */

static uint64_t parse_u64(const char *opt, const char *s, uint64_t min,
			  uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!*s || *s == '-' || *s == '+')
		usage_error(opt, s, "not a number from %" PRIu64 " to %" PRIu64,
			    min, max);
	v = strtoull(s, &end, 0);
	if (errno || *end || v < min || v > max)
		usage_error(opt, s, "not a number from %" PRIu64 " to %" PRIu64,
			    min, max);
	return v;
}

static void parse_mac(const char *opt, const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &tail) != 6 || strlen(s) != 17)
		usage_error(opt, s, "not a MAC address xx:xx:xx:xx:xx:xx");
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	if (mac[0] & 1)
		usage_error(opt, s, "a multicast MAC address cannot be a unicast next hop");
	if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		usage_error(opt, s, "the all-zero MAC address is not a station");
}

static void parse_addr(const char *opt, const char *s, struct gs_ipaddr *a)
{
	if (gs_ipaddr_parse(s, a) < 0)
		usage_error(opt, s, "not an IPv4 or IPv6 address");
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: " PROG " --out FILE.pcap --flows N [options]\n"
"\n"
"Writes GENEVE traffic toward a gsteer listener as a classic pcap (libpcap,\n"
"microsecond timestamps, what Pktgen-DPDK's -s and net_pcap read), and with\n"
"--config-out the gsteer config that forwards it.  Each frame: Ethernet,\n"
"outer IPv4/IPv6, UDP to 6081, GENEVE with the AWS GWLB options (endpoint\n"
"id, attachment id, flow cookie; class 0x0108 types 1, 2, 3), an inner\n"
"IPv4/IPv6 TCP or UDP packet with valid checksums.  The same options and\n"
"seed always give the same bytes.\n"
"\n"
"Traffic:\n"
"  --out FILE            pcap to write (required)\n"
"  --flows N             distinct inner flows, 1 to 10000000 (required)\n"
"  --packets N           packets to write (default: flows x directions, at\n"
"                        least 8192, as pktgen 24.07 needs); the sequence of\n"
"                        flows repeats until N are written.  Must be at least\n"
"                        flows x directions so every flow appears\n"
"  --size S              inner IP packet length in bytes: 64, 512, 1400, any\n"
"                        BYTES from the smallest that holds the inner headers\n"
"                        (IPv4 UDP 28 ... IPv6 TCP 60) up to 9148 (IPv4 outer)\n"
"                        or 9128 (IPv6 outer); or imix: 64, 570 and 1518 in\n"
"                        the ratio 7:4:1, exactly, in every block of 12\n"
"                        packets (default 64)\n"
"  --proto P             udp, tcp, or mix (half the flows each; default udp)\n"
"  --inner 4|6           inner IP version (default 4)\n"
"  --outer 4|6           outer IP version (default 4)\n"
"  --directions D        one: client to server only; both: each flow's\n"
"                        server-to-client packets too (default one)\n"
"  --interleave yes|no   with both: each forward packet followed by its\n"
"                        reverse (yes, default), or per pass all forward\n"
"                        packets, then all reverse ones (no)\n"
"  --seed S              seed for the flows' addresses, ports and the IMIX\n"
"                        order (default 1)\n"
"  --vni N               GENEVE VNI, 0 to 16777215 (default 0)\n"
"  --endpoint-id ID      AWS endpoint id option (default 0x6773000000000001)\n"
"  --attachment-id ID    AWS attachment id option (default 0x6773000000000002)\n"
"\n"
"Addresses:\n"
"  --listener ADDR       outer destination, gsteer's listener (default\n"
"                        10.0.0.1, or fd00::1 with --outer 6)\n"
"  --upstream ADDR       outer source, in the listener's /24 (/64) (default\n"
"                        10.0.0.2, or fd00::2)\n"
"  --src-mac MAC         upstream's MAC, the frames' source (02:00:00:00:00:02)\n"
"  --dst-mac MAC         gsteer's MAC, the frames' destination (default\n"
"                        02:70:63:61:70:00, what net_pcap gives its first port)\n"
"\n"
"Config (--config-out):\n"
"  --config-out FILE     write the gsteer config (JSON) that forwards the pcap:\n"
"                        port 'up' (the listener, its /24 or /64, the upstream\n"
"                        as a static neighbour) and port 'app' (toward the\n"
"                        appliances, static neighbours), one listener, one\n"
"                        target group without active checks\n"
"  --appliances N        appliances in the group, 1 to 4096 (default 2)\n"
"  --appliance-base ADDR first appliance address; the others follow it, all in\n"
"                        one /24 (/64) (default 10.1.0.11, or fd00:1::11)\n"
"  --appliance-mac MAC   MAC of every appliance (default 02:61:70:00:XX:YY,\n"
"                        XX:YY the appliance's number)\n"
"  --devargs-in STR      DPDK devargs of port 'up' (default\n"
"                        net_pcap0,rx_pcap=<absolute path of --out>)\n"
"  --devargs-out STR     DPDK devargs of port 'app' (default\n"
"                        net_pcap1,tx_pcap=<--out without .pcap>.out.pcap)\n"
"  --control-socket PATH the data plane's control socket (default: the config\n"
"                        file's path with .sock instead of .json)\n"
"  --idle-timeout S      idle_timeout_tcp_s and idle_timeout_other_s of the\n"
"                        group, 1 to 86400 (default: gsteer's, 350 and 120)\n"
"\n"
"  --dry-run             check the options, print what would be written,\n"
"                        write nothing\n"
"  -h, --help            this text\n"
"\n"
"Prints one summary line on stderr: packets, bytes, seconds, packets/s.\n"
"Exit status: 0 written, 1 I/O error, 2 bad option (one line naming it).\n");
}

static const char *need_arg(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		usage_error(argv[*i], NULL, "needs a value (see --help)");
	return argv[++*i];
}

static uint8_t parse_family(const char *opt, const char *s)
{
	if (!strcmp(s, "4"))
		return GS_AF_INET;
	if (!strcmp(s, "6"))
		return GS_AF_INET6;
	usage_error(opt, s, "must be 4 or 6");
}

static uint32_t min_inner_size(const struct opts *o)
{
	uint32_t ip = o->inner == GS_AF_INET6 ? GS_IPV6_HDR_LEN : GS_IPV4_HDR_LEN;

	return ip + (o->proto == PROTO_UDP ? GS_UDP_HDR_LEN : GS_TCP_HDR_LEN);
}

static uint32_t outer_overhead(uint8_t outer)
{
	return (outer == GS_AF_INET6 ? GS_IPV6_HDR_LEN : GS_IPV4_HDR_LEN) +
	       GS_UDP_HDR_LEN + GS_GENEVE_HDR_LEN + GS_AWS_OPTS_LEN;
}

static uint32_t max_inner_size(const struct opts *o)
{
	return o->imix ? imix_sizes[2] : o->size;
}

/* same /24 (IPv4) or /64 (IPv6) */
static bool same_subnet(const struct gs_ipaddr *a, const struct gs_ipaddr *b)
{
	return a->family == b->family &&
	       !memcmp(a->a, b->a, a->family == GS_AF_INET ? 3 : 8);
}

/* @a + @n within its last 32 bits; false when that leaves the /24 (/64) */
static bool addr_add(const struct gs_ipaddr *a, uint32_t n,
		     struct gs_ipaddr *out)
{
	uint32_t off = a->family == GS_AF_INET ? 0 : 12, v;
	uint64_t sum;

	*out = *a;
	v = (uint32_t)a->a[off] << 24 | (uint32_t)a->a[off + 1] << 16 |
	    (uint32_t)a->a[off + 2] << 8 | a->a[off + 3];
	sum = (uint64_t)v + n;
	if (sum > 0xFFFFFFFFu)
		return false;
	v = (uint32_t)sum;
	out->a[off] = (uint8_t)(v >> 24);
	out->a[off + 1] = (uint8_t)(v >> 16);
	out->a[off + 2] = (uint8_t)(v >> 8);
	out->a[off + 3] = (uint8_t)v;
	return same_subnet(a, out);
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	const char *size_s = "64", *packets_s = NULL;
	int i;

	memset(o, 0, sizeof(*o));
	o->size = 64;
	o->proto = PROTO_UDP;
	o->inner = GS_AF_INET;
	o->outer = GS_AF_INET;
	o->directions = 1;
	o->interleave = true;
	o->seed = 1;
	o->appliances = 2;
	o->endpoint_id = 0x6773000000000001ull;
	o->attachment_id = 0x6773000000000002ull;
	memcpy(o->src_mac, "\x02\x00\x00\x00\x00\x02", 6);
	memcpy(o->dst_mac, "\x02\x70\x63\x61\x70\x00", 6);

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--dry-run")) {
			o->dry_run = true;
			continue;
		} else if (strncmp(a, "--", 2)) {
			usage_error(a, NULL, "unexpected argument (see --help)");
		}
		if (!strcmp(a, "--out")) {
			o->out = need_arg(argc, argv, &i);
			if (!*o->out)
				usage_error(a, o->out, "empty file name");
		} else if (!strcmp(a, "--flows")) {
			o->flows = parse_u64(a, need_arg(argc, argv, &i), 1, MAX_FLOWS);
		} else if (!strcmp(a, "--packets")) {
			packets_s = need_arg(argc, argv, &i);
			o->packets = parse_u64(a, packets_s, 1, MAX_PACKETS);
		} else if (!strcmp(a, "--size")) {
			size_s = need_arg(argc, argv, &i);
			if (!strcmp(size_s, "imix")) {
				o->imix = true;
			} else {
				o->imix = false;
				o->size = (uint32_t)parse_u64(a, size_s, 1, 65535);
			}
		} else if (!strcmp(a, "--proto")) {
			v = need_arg(argc, argv, &i);
			if (!strcmp(v, "udp"))
				o->proto = PROTO_UDP;
			else if (!strcmp(v, "tcp"))
				o->proto = PROTO_TCP;
			else if (!strcmp(v, "mix"))
				o->proto = PROTO_MIX;
			else
				usage_error(a, v, "must be udp, tcp or mix");
		} else if (!strcmp(a, "--inner")) {
			o->inner = parse_family(a, need_arg(argc, argv, &i));
		} else if (!strcmp(a, "--outer")) {
			o->outer = parse_family(a, need_arg(argc, argv, &i));
		} else if (!strcmp(a, "--directions")) {
			v = need_arg(argc, argv, &i);
			if (!strcmp(v, "one"))
				o->directions = 1;
			else if (!strcmp(v, "both"))
				o->directions = 2;
			else
				usage_error(a, v, "must be one or both");
		} else if (!strcmp(a, "--interleave")) {
			v = need_arg(argc, argv, &i);
			if (!strcmp(v, "yes"))
				o->interleave = true;
			else if (!strcmp(v, "no"))
				o->interleave = false;
			else
				usage_error(a, v, "must be yes or no");
		} else if (!strcmp(a, "--seed")) {
			o->seed = parse_u64(a, need_arg(argc, argv, &i), 0, UINT64_MAX);
		} else if (!strcmp(a, "--vni")) {
			o->vni = (uint32_t)parse_u64(a, need_arg(argc, argv, &i), 0, 0xFFFFFF);
		} else if (!strcmp(a, "--endpoint-id")) {
			o->endpoint_id = parse_u64(a, need_arg(argc, argv, &i), 0, UINT64_MAX);
		} else if (!strcmp(a, "--attachment-id")) {
			o->attachment_id = parse_u64(a, need_arg(argc, argv, &i), 0, UINT64_MAX);
		} else if (!strcmp(a, "--listener")) {
			o->listener_s = need_arg(argc, argv, &i);
			parse_addr(a, o->listener_s, &o->listener);
		} else if (!strcmp(a, "--upstream")) {
			o->upstream_s = need_arg(argc, argv, &i);
			parse_addr(a, o->upstream_s, &o->upstream);
		} else if (!strcmp(a, "--appliance-base")) {
			o->app_base_s = need_arg(argc, argv, &i);
			parse_addr(a, o->app_base_s, &o->app_base);
		} else if (!strcmp(a, "--src-mac")) {
			parse_mac(a, need_arg(argc, argv, &i), o->src_mac);
		} else if (!strcmp(a, "--dst-mac")) {
			parse_mac(a, need_arg(argc, argv, &i), o->dst_mac);
		} else if (!strcmp(a, "--appliance-mac")) {
			parse_mac(a, need_arg(argc, argv, &i), o->app_mac);
			o->app_mac_set = true;
		} else if (!strcmp(a, "--appliances")) {
			o->appliances = (uint32_t)parse_u64(a, need_arg(argc, argv, &i), 1,
							    GS_MAX_APPLIANCES_PER_GROUP);
		} else if (!strcmp(a, "--config-out")) {
			o->config_out = need_arg(argc, argv, &i);
			if (!*o->config_out)
				usage_error(a, o->config_out, "empty file name");
		} else if (!strcmp(a, "--devargs-in")) {
			o->devargs_in = need_arg(argc, argv, &i);
		} else if (!strcmp(a, "--devargs-out")) {
			o->devargs_out = need_arg(argc, argv, &i);
		} else if (!strcmp(a, "--control-socket")) {
			o->control_socket = need_arg(argc, argv, &i);
		} else if (!strcmp(a, "--idle-timeout")) {
			o->idle_timeout = (uint32_t)parse_u64(a, need_arg(argc, argv, &i), 1, 86400);
		} else {
			usage_error(a, NULL, "unknown option (see --help)");
		}
	}

	if (!o->out)
		usage_error("--out", NULL, "required (see --help)");
	if (!o->flows)
		usage_error("--flows", NULL, "required (see --help)");

	/* sizes */
	if (!o->imix && o->size < min_inner_size(o))
		usage_error("--size", size_s,
			    "smaller than the inner headers (%u bytes for IPv%u %s)",
			    min_inner_size(o), o->inner,
			    o->proto == PROTO_UDP ? "UDP" : "TCP");
	if (max_inner_size(o) + outer_overhead(o->outer) > MAX_PORT_MTU)
		usage_error("--size", size_s,
			    "the outer packet would exceed gsteer's largest port MTU %u (inner at most %u with IPv%u outer)",
			    MAX_PORT_MTU, MAX_PORT_MTU - outer_overhead(o->outer),
			    o->outer);

	/* counts */
	if (o->packets && o->packets < o->flows * o->directions)
		usage_error("--packets", packets_s,
			    "fewer than flows x directions (%" PRIu64 "), so some flows would be missing",
			    o->flows * o->directions);
	if (!o->packets) {
		o->packets = o->flows * o->directions;
		if (o->packets < MIN_DEFAULT_PACKETS)
			o->packets = MIN_DEFAULT_PACKETS;
	}

	/* addresses */
	if (!o->listener_s)
		gs_ipaddr_parse(o->outer == GS_AF_INET6 ? "fd00::1" : "10.0.0.1",
				&o->listener);
	if (!o->upstream_s)
		gs_ipaddr_parse(o->outer == GS_AF_INET6 ? "fd00::2" : "10.0.0.2",
				&o->upstream);
	if (!o->app_base_s)
		gs_ipaddr_parse(o->outer == GS_AF_INET6 ? "fd00:1::11" : "10.1.0.11",
				&o->app_base);
	if (o->listener.family != o->outer)
		usage_error("--listener", o->listener_s,
			    "is not an IPv%u address, as --outer asks", o->outer);
	if (o->upstream.family != o->outer)
		usage_error("--upstream", o->upstream_s,
			    "is not an IPv%u address, as --outer asks", o->outer);
	if (!same_subnet(&o->listener, &o->upstream))
		usage_error("--upstream", o->upstream_s ? o->upstream_s : "(default)",
			    "must be in the listener's /%u, the subnet of port 'up'",
			    o->outer == GS_AF_INET ? 24 : 64);
	if (gs_ipaddr_equal(&o->listener, &o->upstream))
		usage_error("--upstream", o->upstream_s ? o->upstream_s : "(default)",
			    "must differ from the listener");
}

/* ---- the flows ----------------------------------------------------------- */

static inline uint64_t splitmix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

#define M24 0xFFFFFFu

/* a bijection of [0, 2^24) chosen by the seed: distinct flows stay distinct */
static inline uint32_t perm24(uint32_t i, uint64_t seed)
{
	uint32_t j = i & M24;

	j = (j * 0x2545F5u + (uint32_t)seed) & M24;
	j ^= j >> 12;
	j = (j * 0x6F4F2Bu + (uint32_t)(seed >> 24)) & M24;
	j ^= j >> 11;
	return j;
}

/*
 * Ports no tshark dissector claims for our payload (checked with tshark
 * 4.0): the pcaps must read without "malformed" packets, and real service
 * ports (DNS, SSH, MySQL, NDMP, HTTP...) would be decoded as such and flagged.
 */
#define CLIENT_PORT_BASE 40000
static const uint16_t server_ports_tcp[] = { 5201, 9000, 8000, 20000, 30000, 5202 };
static const uint16_t server_ports_udp[] = { 5201, 9000, 5202, 20000, 30000, 33434 };

/*
 * Flow @i: client 198.18.0.0/16 (IPv6 2001:2:0:1::/64), server 198.19.0.0/16
 * (2001:2:0:2::/64): the RFC 2544 / RFC 5180 benchmarking ranges.  The
 * client (address, port) pair encodes perm24(i) injectively, so N flows are
 * N distinct 5-tuples, also as canonical (direction-free) keys, because
 * clients and servers live in disjoint ranges.
 */
struct flow {
	struct gs_tuple fwd; /* client -> server */
	uint32_t hash;       /* gsteer's symmetric flow hash */
	uint32_t seq_c, seq_s;
	uint32_t label;      /* IPv6 flow label */
};

static void make_flow(const struct opts *o, uint64_t i, struct flow *f)
{
	uint32_t j = perm24((uint32_t)i, o->seed);
	uint64_t h = splitmix64(j ^ o->seed);
	uint32_t host = j >> 8; /* 16 bits */
	uint8_t proto;
	struct gs_flow_key key;

	memset(f, 0, sizeof(*f));
	if (o->proto == PROTO_MIX)
		proto = (h >> 40) & 1 ? GS_IPPROTO_TCP : GS_IPPROTO_UDP;
	else
		proto = o->proto == PROTO_TCP ? GS_IPPROTO_TCP : GS_IPPROTO_UDP;

	f->fwd.family = o->inner;
	f->fwd.proto = proto;
	f->fwd.sport = (uint16_t)(CLIENT_PORT_BASE + (j & 0xFF));
	f->fwd.dport = proto == GS_IPPROTO_TCP ?
		server_ports_tcp[(h >> 8) % (sizeof(server_ports_tcp) / 2)] :
		server_ports_udp[(h >> 8) % (sizeof(server_ports_udp) / 2)];
	if (o->inner == GS_AF_INET) {
		f->fwd.src[0] = 198;
		f->fwd.src[1] = 18;
		f->fwd.src[2] = (uint8_t)(host >> 8);
		f->fwd.src[3] = (uint8_t)host;
		f->fwd.dst[0] = 198;
		f->fwd.dst[1] = 19;
		f->fwd.dst[2] = (uint8_t)(h >> 16);
		f->fwd.dst[3] = (uint8_t)(1 + (h >> 24) % 254);
	} else {
		static const uint8_t c[8] = { 0x20, 0x01, 0, 2, 0, 0, 0, 1 };
		static const uint8_t s[8] = { 0x20, 0x01, 0, 2, 0, 0, 0, 2 };

		memcpy(f->fwd.src, c, 8);
		f->fwd.src[14] = (uint8_t)(host >> 8);
		f->fwd.src[15] = (uint8_t)host;
		f->fwd.src[13] = (uint8_t)(h >> 32); /* not part of the encoding */
		memcpy(f->fwd.dst, s, 8);
		f->fwd.dst[14] = (uint8_t)(h >> 16);
		f->fwd.dst[15] = (uint8_t)(1 + (h >> 24) % 254);
	}
	/* what gsteer computes for this flow with its default seed, group 0,
	 * scoped by VNI and endpoint id (docs/dataplane.md, step 6) */
	gs_flow_key_build(&key, &f->fwd, GS_STICKY_5TUPLE, o->vni, 0,
			  o->endpoint_id);
	f->hash = gs_flow_hash(&key, GS_DEFAULT_HASH_SEED);
	f->seq_c = (uint32_t)(h >> 32);
	f->seq_s = (uint32_t)h;
	f->label = (uint32_t)(h >> 12) & 0xFFFFF;
}

/* ---- packets ------------------------------------------------------------- */

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

/*
 * Payload marker: 'g' 'S', the flow number (24 bits), the pass number (24
 * bits, wrapping).  The letters keep tshark's heuristic dissectors (SMPP,
 * PANA...) from claiming the payload; the rest of the payload is zeros.
 */
#define MARKER_LEN 8

/*
 * Inner packet of @len bytes at @p (zeroed beyond what is written here by
 * the caller's buffer discipline): IP header, TCP/UDP header, then a marker
 * (flow number, pass number) and zeros.  Checksums over the written bytes
 * only, since the rest is zero.
 */
static void write_inner(uint8_t *p, uint32_t len, const struct flow *f,
			bool reverse, uint64_t flow_no, uint64_t pass,
			uint64_t pkt_no)
{
	const struct gs_tuple *t = &f->fwd;
	const uint8_t *src = reverse ? t->dst : t->src;
	const uint8_t *dst = reverse ? t->src : t->dst;
	uint16_t sport = reverse ? t->dport : t->sport;
	uint16_t dport = reverse ? t->sport : t->dport;
	uint32_t ip_len = t->family == GS_AF_INET ? GS_IPV4_HDR_LEN : GS_IPV6_HDR_LEN;
	uint32_t l4_hdr = t->proto == GS_IPPROTO_TCP ? GS_TCP_HDR_LEN : GS_UDP_HDR_LEN;
	uint32_t l4_len = len - ip_len, marker, sum;
	uint8_t *l4 = p + ip_len, pseudo[12];
	uint16_t csum;

	if (t->family == GS_AF_INET) {
		p[0] = 0x45;
		p[1] = 0;
		wr16(p + 2, (uint16_t)len);
		wr16(p + 4, (uint16_t)pkt_no); /* IP id */
		wr16(p + 6, 0x4000);           /* DF */
		p[8] = 64;
		p[9] = t->proto;
		wr16(p + 10, 0);
		memcpy(p + 12, src, 4);
		memcpy(p + 16, dst, 4);
		wr16(p + 10, gs_csum_fold(gs_csum_partial(p, GS_IPV4_HDR_LEN, 0)));
		sum = gs_csum_partial(src, 4, 0);
		sum = gs_csum_partial(dst, 4, sum);
	} else {
		wr32(p, 0x60000000u | f->label);
		wr16(p + 4, (uint16_t)l4_len);
		p[6] = t->proto;
		p[7] = 64;
		memcpy(p + 8, src, 16);
		memcpy(p + 24, dst, 16);
		sum = gs_csum_partial(src, 16, 0);
		sum = gs_csum_partial(dst, 16, sum);
	}
	/* pseudo-header tail: length and protocol (same sum for v4 and v6) */
	memset(pseudo, 0, sizeof(pseudo));
	wr32(pseudo, l4_len);
	pseudo[7] = t->proto;
	sum = gs_csum_partial(pseudo, 8, sum);

	wr16(l4, sport);
	wr16(l4 + 2, dport);
	if (t->proto == GS_IPPROTO_TCP) {
		uint32_t seq = reverse ? f->seq_s : f->seq_c;
		uint32_t ack = reverse ? f->seq_c : f->seq_s;
		uint32_t step = (uint32_t)pass * 1460u;

		wr32(l4 + 4, seq + step);
		wr32(l4 + 8, ack + step);
		l4[12] = 5 << 4; /* data offset: 20 bytes */
		l4[13] = l4_len > GS_TCP_HDR_LEN ? 0x18 : 0x10; /* PSH|ACK, ACK */
		wr16(l4 + 14, 65535);
		wr16(l4 + 16, 0);
		wr16(l4 + 18, 0);
	} else {
		wr16(l4 + 4, (uint16_t)l4_len);
		wr16(l4 + 6, 0);
	}
	marker = l4_len - l4_hdr < MARKER_LEN ? l4_len - l4_hdr : MARKER_LEN;
	if (marker) {
		uint8_t m[MARKER_LEN];

		wr32(m, 0x67530000u | (uint32_t)(flow_no >> 8 & 0xFFFF));
		wr32(m + 4, (uint32_t)flow_no << 24 | (uint32_t)(pass & 0xFFFFFF));
		memcpy(l4 + l4_hdr, m, marker);
	}
	sum = gs_csum_partial(l4, l4_hdr + marker, sum);
	csum = gs_csum_fold(sum);
	if (t->proto == GS_IPPROTO_UDP) {
		/* 0 means "no checksum" (and is forbidden over IPv6) */
		wr16(l4 + 6, csum ? csum : 0xFFFF);
	} else {
		wr16(l4 + 16, csum);
	}
}

/* ---- the packet sequence -------------------------------------------------- */

/*
 * Packet number k: pass k / (F * D), then within a pass, interleaved:
 * flow (k / D) % F, direction k % D; not interleaved: direction (k / F) % D,
 * flow k % F.
 */
struct slot {
	uint64_t flow, pass;
	bool reverse;
};

static inline void slot_of(const struct opts *o, uint64_t k, struct slot *s)
{
	uint64_t per_pass = o->flows * o->directions, r = k % per_pass;

	s->pass = k / per_pass;
	if (o->directions == 1) {
		s->flow = r;
		s->reverse = false;
	} else if (o->interleave) {
		s->flow = r / 2;
		s->reverse = r & 1;
	} else {
		s->flow = r % o->flows;
		s->reverse = r >= o->flows;
	}
}

/* IMIX: each block of 12 packets holds 7, 4 and 1 of the three sizes, in an
 * order shuffled per block by the seed */
static void imix_block(uint64_t seed, uint64_t block, uint16_t out[IMIX_BLOCK])
{
	uint64_t r = splitmix64(seed ^ splitmix64(block + 0x494D4958ull));
	unsigned n = 0, i, k;

	for (i = 0; i < 3; i++)
		for (k = 0; k < imix_weights[i]; k++)
			out[n++] = imix_sizes[i];
	for (i = IMIX_BLOCK - 1; i > 0; i--) {
		unsigned j;
		uint16_t t;

		r = splitmix64(r);
		j = (unsigned)(r % (i + 1));
		t = out[i];
		out[i] = out[j];
		out[j] = t;
	}
}

/* ---- config --------------------------------------------------------------- */

static char *abs_path(const char *p)
{
	char *r, *dir, *slash, *res;
	const char *base;

	if (p[0] == '/')
		return strdup(p);
	/* the file may not exist yet: resolve its directory */
	dir = strdup(p);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = 0;
		base = p + (slash - dir) + 1;
		r = realpath(*dir ? dir : "/", NULL);
	} else {
		base = p;
		r = realpath(".", NULL);
	}
	if (!r)
		die("%s: %s", p, strerror(errno));
	if (asprintf(&res, "%s/%s", strcmp(r, "/") ? r : "", base) < 0)
		die("out of memory");
	free(r);
	free(dir);
	return res;
}

/* @p without a trailing @ext, plus @repl */
static char *swap_ext(const char *p, const char *ext, const char *repl)
{
	size_t n = strlen(p), e = strlen(ext);
	char *res;

	if (n > e && !strcmp(p + n - e, ext))
		n -= e;
	if (asprintf(&res, "%.*s%s", (int)n, p, repl) < 0)
		die("out of memory");
	return res;
}

static const char *fmt_addr(const struct gs_ipaddr *a, char *buf, size_t len)
{
	return gs_ipaddr_format(a, buf, len);
}

static json_t *jstr_prefix(const struct gs_ipaddr *a)
{
	char b[64];

	return json_sprintf("%s/%u", fmt_addr(a, b, sizeof(b)),
			    a->family == GS_AF_INET ? 24 : 64);
}

static json_t *jstr_mac(const uint8_t m[6])
{
	return json_sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
			    m[3], m[4], m[5]);
}

/* own address of port 'app': the subnet's first host, else its last one,
 * whichever no appliance has */
static bool app_port_addr(const struct opts *o, struct gs_ipaddr *own)
{
	static const uint32_t cand[2] = { 1, 0xFE };
	unsigned c;

	for (c = 0; c < 2; c++) {
		struct gs_ipaddr net = o->app_base, last;
		bool clash = false;
		uint32_t i;

		if (o->app_base.family == GS_AF_INET) {
			net.a[3] = (uint8_t)cand[c];
		} else {
			memset(net.a + 8, 0, 8);
			if (c)
				memset(net.a + 8, 0xFF, 7), net.a[15] = 0xFE;
			else
				net.a[15] = 1;
		}
		for (i = 0; i < o->appliances && !clash; i++) {
			addr_add(&o->app_base, i, &last);
			clash = gs_ipaddr_equal(&last, &net);
		}
		if (!clash) {
			*own = net;
			return true;
		}
	}
	return false;
}

static void appliance_mac(const struct opts *o, uint32_t i, uint8_t mac[6])
{
	if (o->app_mac_set) {
		memcpy(mac, o->app_mac, 6);
		return;
	}
	mac[0] = 0x02;
	mac[1] = 0x61; /* 'a' */
	mac[2] = 0x70; /* 'p' */
	mac[3] = 0;
	mac[4] = (uint8_t)((i + 1) >> 8);
	mac[5] = (uint8_t)(i + 1);
}

/* the flow table: 25% headroom over the flows (rte_hash is a cuckoo hash and
 * fails inserts before it is completely full) */
static uint32_t flow_table_size(uint64_t flows)
{
	uint64_t n = flows + flows / 4;

	n = (n + 1023) & ~1023ull;
	if (n < 1024)
		n = 1024;
	return (uint32_t)n;
}

static char *build_config(const struct opts *o, uint32_t mtu)
{
	char b[64], name[GS_NAME_MAX], *text, *pcap_abs, *sock, *tx_pcap = NULL;
	char *din = NULL, *dout = NULL, err[512];
	json_t *root, *dp, *ports, *p, *neigh, *l, *g, *apps, *hc;
	struct gs_ipaddr own, a;
	struct gs_config *check;
	uint8_t mac[6];
	uint32_t i;

	if (o->app_base.family == o->outer && same_subnet(&o->app_base, &o->listener))
		usage_error("--appliance-base", o->app_base_s ? o->app_base_s : "(default)",
			    "must not be in the listener's subnet: appliances sit behind port 'app'");
	if (!addr_add(&o->app_base, o->appliances - 1, &a))
		usage_error("--appliances", NULL,
			    "%u appliances from %s leave its /%u", o->appliances,
			    fmt_addr(&o->app_base, b, sizeof(b)),
			    o->app_base.family == GS_AF_INET ? 24 : 64);
	if (!app_port_addr(o, &own))
		usage_error("--appliances", NULL,
			    "%u appliances leave no address in their subnet for gsteer's port 'app'",
			    o->appliances);

	pcap_abs = abs_path(o->out);
	if (o->devargs_in) {
		din = strdup(o->devargs_in);
	} else if (asprintf(&din, "net_pcap0,rx_pcap=%s", pcap_abs) < 0) {
		die("out of memory");
	}
	if (o->devargs_out) {
		dout = strdup(o->devargs_out);
	} else {
		tx_pcap = swap_ext(pcap_abs, ".pcap", ".out.pcap");
		if (asprintf(&dout, "net_pcap1,tx_pcap=%s", tx_pcap) < 0)
			die("out of memory");
	}
	if (strlen(din) > 511 || strlen(dout) > 511)
		usage_error(strlen(din) > 511 ? "--devargs-in" : "--devargs-out", NULL,
			    "longer than the 511 characters a port's devargs may have");
	if (o->control_socket) {
		sock = strdup(o->control_socket);
	} else {
		char *cfg_abs = abs_path(o->config_out);

		sock = swap_ext(cfg_abs, ".json", ".sock");
		free(cfg_abs);
	}
	if (sock[0] != '/' || strlen(sock) > 107)
		usage_error("--control-socket", sock,
			    "must be an absolute path of at most 107 characters");

	root = json_object();
	dp = json_object();
	ports = json_array();

	p = json_object();
	json_object_set_new(p, "name", json_string("up"));
	json_object_set_new(p, "devargs", json_string(din));
	json_object_set_new(p, "addresses", json_pack("[o]", jstr_prefix(&o->listener)));
	json_object_set_new(p, "mtu", json_integer(mtu));
	json_array_append_new(ports, p);

	p = json_object();
	json_object_set_new(p, "name", json_string("app"));
	json_object_set_new(p, "devargs", json_string(dout));
	json_object_set_new(p, "addresses", json_pack("[o]", jstr_prefix(&own)));
	json_object_set_new(p, "mtu", json_integer(mtu));
	json_array_append_new(ports, p);

	json_object_set_new(dp, "ports", ports);
	json_object_set_new(dp, "flow_table_size",
			    json_integer(flow_table_size(o->flows)));
	json_object_set_new(dp, "control_socket", json_string(sock));

	/* nothing answers ARP/NDP in a pcap replay or on a pktgen port */
	neigh = json_array();
	json_array_append_new(neigh, json_pack("{s:s,s:o}", "address",
		fmt_addr(&o->upstream, b, sizeof(b)), "mac", jstr_mac(o->src_mac)));
	for (i = 0; i < o->appliances; i++) {
		addr_add(&o->app_base, i, &a);
		appliance_mac(o, i, mac);
		json_array_append_new(neigh, json_pack("{s:s,s:o}", "address",
			fmt_addr(&a, b, sizeof(b)), "mac", jstr_mac(mac)));
	}
	json_object_set_new(dp, "neighbors", neigh);
	json_object_set_new(root, "dataplane", dp);

	l = json_object();
	json_object_set_new(l, "name", json_string("gen"));
	json_object_set_new(l, "address", json_string(fmt_addr(&o->listener, b, sizeof(b))));
	json_object_set_new(l, "target_group", json_string("fleet"));
	json_object_set_new(l, "upstreams", json_pack("[o]", jstr_prefix(&o->upstream)));
	json_object_set_new(l, "endpoint_id", json_sprintf("0x%016" PRIx64, o->endpoint_id));
	json_object_set_new(l, "attachment_id", json_sprintf("0x%016" PRIx64, o->attachment_id));
	json_object_set_new(root, "listeners", json_pack("[o]", l));

	g = json_object();
	json_object_set_new(g, "name", json_string("fleet"));
	if (o->idle_timeout) {
		json_object_set_new(g, "idle_timeout_tcp_s", json_integer(o->idle_timeout));
		json_object_set_new(g, "idle_timeout_other_s", json_integer(o->idle_timeout));
	}
	hc = json_pack("{s:s}", "protocol", "none");
	json_object_set_new(g, "health_check", hc);
	apps = json_array();
	for (i = 0; i < o->appliances; i++) {
		addr_add(&o->app_base, i, &a);
		snprintf(name, sizeof(name), "app%u", i + 1);
		json_array_append_new(apps, json_pack("{s:s,s:s}", "id", name,
			"address", fmt_addr(&a, b, sizeof(b))));
	}
	json_object_set_new(g, "appliances", apps);
	json_object_set_new(root, "target_groups", json_pack("[o]", g));

	text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		die("out of memory");

	/* the loader gsteer uses must accept what we wrote */
	check = gs_config_parse(text, o->config_out, err, sizeof(err));
	if (!check)
		die("internal error: the generated config does not load: %s", err);
	gs_config_free(check);

	free(pcap_abs);
	free(tx_pcap);
	free(din);
	free(dout);
	free(sock);
	return text;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		die("%s: %s", path, strerror(errno));
	if (fputs(text, f) < 0 || fputc('\n', f) < 0 || fclose(f))
		die("%s: %s", path, strerror(errno));
}

/* ---- main ----------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct opts o;
	uint8_t opts_area[GS_AWS_OPTS_LEN];
	struct gs_opts_spec os = { 0 };
	struct gs_encap e = { 0 };
	uint32_t hdr_len, mtu;
	uint8_t *buf, *inner;
	uint64_t k, bytes = 0, min_frame = UINT64_MAX, max_frame = 0;
	uint64_t n_flow_cache = UINT64_MAX;
	uint16_t imix[IMIX_BLOCK];
	struct flow fl;
	char *config = NULL;
	pcap_t *pd;
	pcap_dumper_t *dump;
	FILE *fp;
	double t0, dt;

	parse_args(argc, argv, &o);

	mtu = max_inner_size(&o) + outer_overhead(o.outer);
	if (mtu < DEFAULT_PORT_MTU)
		mtu = DEFAULT_PORT_MTU;
	if (o.config_out)
		config = build_config(&o, mtu);

	/* option area: the same three options for every packet but the cookie */
	os.with_endpoint_id = true;
	os.with_attachment_id = true;
	os.with_cookie = true;
	os.endpoint_id = o.endpoint_id;
	os.attachment_id = o.attachment_id;

	e.family = o.outer;
	memcpy(e.src_mac, o.src_mac, 6);
	memcpy(e.dst_mac, o.dst_mac, 6);
	memcpy(e.src, o.upstream.a, 16);
	memcpy(e.dst, o.listener.a, 16);
	e.ttl = GS_DEFAULT_TTL;
	e.dport = GS_GENEVE_UDP_PORT;
	e.vni = o.vni;
	e.protocol = o.inner == GS_AF_INET6 ? GS_ETHERTYPE_IPV6 : GS_ETHERTYPE_IPV4;
	e.opts = opts_area;
	e.opts_len = GS_AWS_OPTS_LEN;
	hdr_len = gs_encap_len(&e);

	if (o.dry_run) {
		printf("%s: %" PRIu64 " packets, %" PRIu64 " flows x %u directions, "
		       "inner %s bytes, frames %u to %u bytes, port MTU %u\n",
		       o.out, o.packets, o.flows, o.directions,
		       o.imix ? "imix 64/570/1518" : "fixed",
		       hdr_len + (o.imix ? imix_sizes[0] : o.size),
		       hdr_len + max_inner_size(&o), mtu);
		free(config);
		return 0;
	}
	if (config) {
		write_text(o.config_out, config);
		free(config);
	}

	buf = calloc(1, hdr_len + MAX_PORT_MTU + 64);
	if (!buf)
		die("out of memory");
	inner = buf + hdr_len;

	fp = fopen(o.out, "wb");
	if (!fp)
		die("%s: %s", o.out, strerror(errno));
	setvbuf(fp, NULL, _IOFBF, 1 << 20);
	pd = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535,
						  PCAP_TSTAMP_PRECISION_MICRO);
	if (!pd)
		die("pcap_open_dead failed");
	dump = pcap_dump_fopen(pd, fp);
	if (!dump)
		die("%s: %s", o.out, pcap_geterr(pd));

	t0 = now_s();
	for (k = 0; k < o.packets; k++) {
		struct pcap_pkthdr ph;
		struct slot s;
		uint32_t len;

		slot_of(&o, k, &s);
		if (s.flow != n_flow_cache) {
			make_flow(&o, s.flow, &fl);
			n_flow_cache = s.flow;
		}
		if (o.imix) {
			if (k % IMIX_BLOCK == 0)
				imix_block(o.seed, k / IMIX_BLOCK, imix);
			len = imix[k % IMIX_BLOCK];
		} else {
			len = o.size;
		}
		/* the inner L4 header and marker of the previous packet */
		memset(inner, 0, GS_IPV6_HDR_LEN + GS_TCP_HDR_LEN + MARKER_LEN);
		write_inner(inner, len, &fl, s.reverse, s.flow, s.pass, k);

		os.cookie = gs_flow_cookie(fl.hash);
		if (gs_geneve_opts_write(opts_area, sizeof(opts_area), &os) !=
		    GS_AWS_OPTS_LEN)
			die("internal error: option area");
		e.sport = gs_entropy_port(fl.hash);
		e.payload = inner;
		e.payload_len = len;
		if (gs_encap_write(buf, hdr_len, &e) != (int)hdr_len)
			die("internal error: outer headers");

		ph.caplen = ph.len = hdr_len + len;
		ph.ts.tv_sec = TS_BASE_SEC + (time_t)(k / 1000000);
		ph.ts.tv_usec = (suseconds_t)(k % 1000000);
		pcap_dump((u_char *)dump, &ph, buf);
		bytes += ph.caplen;
		if (ph.caplen < min_frame)
			min_frame = ph.caplen;
		if (ph.caplen > max_frame)
			max_frame = ph.caplen;
	}
	if (pcap_dump_flush(dump) < 0 || ferror(fp))
		die("%s: write failed: %s", o.out, strerror(errno));
	pcap_dump_close(dump);
	pcap_close(pd);
	free(buf);
	dt = now_s() - t0;

	fprintf(stderr,
		PROG ": %s: %" PRIu64 " packets (%" PRIu64 " flows x %u directions), "
		"%" PRIu64 " bytes, frames %" PRIu64 "-%" PRIu64 " bytes, %.3f s, "
		"%.0f packets/s\n",
		o.out, o.packets, o.flows, o.directions, bytes, min_frame,
		max_frame, dt, dt > 0 ? o.packets / dt : 0.0);
	if (max_frame > 1514)
		fprintf(stderr, PROG ": note: frames over 1514 bytes need pktgen's -j (jumbo) and port MTU %u in gsteer\n",
			mtu);
	return 0;
}
