/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration model: one JSON file read by gsteer-dataplane and gsteerd
 * alike, through this one loader, so both report the same errors.
 *
 * Errors name the file, the field path and what is wrong, e.g.
 *   gsteer.json: target_groups[0].appliances[2].weight: must be an integer
 *   from 1 to 1000 (got -3)
 * Unknown keys are errors.  Defaults live in gs_config.c (its "defaults"
 * section) and are listed in docs/configuration.md.
 */
#ifndef GS_CONFIG_H
#define GS_CONFIG_H

#include "gs_compat.h"
#include "gs_flow.h"
#include "gs_limits.h"

struct gs_ipaddr {
	uint8_t family; /* GS_AF_INET / GS_AF_INET6 */
	uint8_t a[16];  /* IPv4 in the first 4 bytes */
};

struct gs_prefix {
	struct gs_ipaddr addr;
	uint8_t len;
};

enum gs_failover_mode { GS_REBALANCE = 0, GS_NO_REBALANCE = 1 };
enum gs_no_healthy_mode { GS_FAIL_OPEN = 0, GS_FAIL_CLOSED = 1 };

enum gs_app_state {
	GS_APP_HEALTHY = 0,
	GS_APP_UNHEALTHY = 1,
	GS_APP_DRAINING = 2,
	GS_APP_REMOVED = 3,
};

enum gs_check_protocol { GS_CHECK_TCP = 0, GS_CHECK_HTTP = 1, GS_CHECK_NONE = 2 };

enum gs_passive_mode {
	GS_PASSIVE_OFF = 0,
	GS_PASSIVE_COUNT_AS_FAILURE = 1, /* one failed check per window */
	GS_PASSIVE_MARK_UNHEALTHY = 2,   /* unhealthy at once */
};

enum gs_backend_kind { GS_BACKEND_DPDK = 0, GS_BACKEND_XDP = 1 };

struct gs_health_check_cfg {
	enum gs_check_protocol protocol; /* active check over the management net */
	uint16_t port;                   /* 0: 80 for http, required for tcp */
	char path[256];                  /* http */
	uint16_t status_min, status_max; /* http matcher, default 200-399 */
	bool inband_probe;               /* GENEVE probe through the data path */
	uint32_t interval_ms;
	uint32_t timeout_ms;
	uint32_t healthy_threshold;
	uint32_t unhealthy_threshold;
	enum gs_passive_mode passive;
	uint32_t passive_window_ms;
	uint32_t latency_threshold_us; /* 0: off */
};

struct gs_appliance_cfg {
	char id[GS_NAME_MAX];
	struct gs_ipaddr address;        /* data-path GENEVE address */
	struct gs_ipaddr health_address; /* management address, default address */
	uint32_t weight;                 /* 1..GS_MAX_WEIGHT, default 1 */
	enum gs_app_state state;         /* initial state, default healthy */
};

struct gs_target_group_cfg {
	char name[GS_NAME_MAX];
	enum gs_stickiness stickiness;
	enum gs_failover_mode on_unhealthy;
	enum gs_failover_mode on_deregistration;
	uint32_t deregistration_delay_s;
	uint32_t idle_timeout_tcp_s;
	uint32_t idle_timeout_other_s;
	enum gs_no_healthy_mode no_healthy;
	bool tcp_reset_on_unserved; /* RST both ends of a flow gsteer stops serving */
	uint32_t maglev_size;       /* prime, >= 100 * appliances */
	struct gs_health_check_cfg health_check;
	struct gs_appliance_cfg *appliances;
	uint32_t n_appliances;
};

struct gs_listener_cfg {
	char name[GS_NAME_MAX];
	struct gs_ipaddr address; /* GENEVE destination the upstreams use */
	char target_group[GS_NAME_MAX];
	uint32_t target_group_index; /* resolved by the loader */
	struct gs_prefix upstreams[GS_MAX_UPSTREAM_PREFIXES]; /* allowed sources */
	uint32_t n_upstreams;
	bool scope_by_endpoint_id; /* default true */
	/* used toward appliances when the upstream sent none */
	bool has_endpoint_id;
	uint64_t endpoint_id;
	bool has_attachment_id;
	uint64_t attachment_id;
	uint32_t max_flows_per_source; /* 0: unlimited */
};

struct gs_port_cfg {
	char name[GS_NAME_MAX];
	char devargs[512];
	struct gs_prefix addresses[GS_MAX_PORT_ADDRS]; /* own addresses, with subnet */
	uint32_t n_addresses;
	struct gs_ipaddr gateway4; /* family 0: none */
	struct gs_ipaddr gateway6;
	uint16_t mtu;
	uint16_t vlan; /* 0: untagged */
};

struct gs_neighbor_cfg {
	struct gs_ipaddr address;
	uint8_t mac[6];
};

struct gs_dataplane_cfg {
	struct gs_port_cfg ports[GS_MAX_PORTS];
	uint32_t n_ports;
	char lcores[64];          /* EAL -l when the command line gives none */
	uint32_t flow_table_size; /* flows */
	uint32_t frag_table_size;
	uint32_t mbuf_pool_size;  /* mbufs; 0: sized from ports and workers */
	uint32_t hash_seed;
	char control_socket[108];
	struct gs_neighbor_cfg neighbors[GS_MAX_STATIC_NEIGHBORS];
	uint32_t n_neighbors;
};

struct gs_daemon_cfg {
	enum gs_backend_kind backend;
	char metrics_listen[64]; /* "127.0.0.1:9469"; "" disables */
	char xdp_interface[32];  /* backend xdp */
	bool xdp_native;         /* backend xdp: native (default) or generic */
	char probe_socket[108];  /* the data plane's in-band probe socket */
	char socket[108];        /* gsteerd's own socket, for gsteerctl */
	char control_user[64];   /* allowed peer of the control socket */
	char control_group[64];
};

struct gs_config {
	char path[256];
	struct gs_dataplane_cfg dataplane;
	struct gs_daemon_cfg daemon;
	struct gs_listener_cfg listeners[GS_MAX_LISTENERS];
	uint32_t n_listeners;
	struct gs_target_group_cfg groups[GS_MAX_TARGET_GROUPS];
	uint32_t n_groups;
};

/*
 * Load and validate @path.  On success returns a config to release with
 * gs_config_free(); on failure returns NULL and writes one line to @err.
 */
struct gs_config *gs_config_load(const char *path, char *err, size_t errlen);

/* the same from a JSON text; @name stands for the file in messages */
struct gs_config *gs_config_parse(const char *json, const char *name,
				  char *err, size_t errlen);

void gs_config_free(struct gs_config *cfg);

/* "healthy", "unhealthy", "draining", "removed" and back (-1: unknown) */
const char *gs_app_state_name(enum gs_app_state s);
int gs_app_state_from_name(const char *name);

/* text forms of addresses: parse returns 0 or -1; format returns @buf */
int gs_ipaddr_parse(const char *s, struct gs_ipaddr *out);
int gs_prefix_parse(const char *s, struct gs_prefix *out);
const char *gs_ipaddr_format(const struct gs_ipaddr *a, char *buf, size_t len);
bool gs_prefix_contains(const struct gs_prefix *p, const struct gs_ipaddr *a);
bool gs_ipaddr_equal(const struct gs_ipaddr *a, const struct gs_ipaddr *b);

#endif /* GS_CONFIG_H */
