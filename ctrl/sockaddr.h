/* SPDX-License-Identifier: BSD-3-Clause */
/* gsteerd's sockets take the config's addresses: one conversion for all */
#ifndef GSD_SOCKADDR_H
#define GSD_SOCKADDR_H

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "gs_config.h"

/* @ip:@port as a socket address; returns its length */
static inline socklen_t gsd_sockaddr(const struct gs_ipaddr *ip, uint16_t port,
				     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ip->family == GS_AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, ip->a, 4);
		return sizeof(*s4);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	memcpy(&s6->sin6_addr, ip->a, 16);
	return sizeof(*s6);
}

#endif /* GSD_SOCKADDR_H */
