/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GENEVE frames for the XDP benchmark and API test: upstream 10.0.0.50 to
 * listener 10.0.0.11 (group "three" of tests/fixtures/gsteer-fixtures.json),
 * inner UDP flow number i.  Header-only; tests include it once.
 */
#ifndef XDP_FRAMES_H
#define XDP_FRAMES_H

#include <stdint.h>
#include <string.h>

#define FRAME_LEN 92

static inline void csum_ip(uint8_t *ip)
{
	uint32_t s = 0;

	ip[10] = ip[11] = 0;
	for (int i = 0; i < 20; i += 2)
		s += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (s >> 16)
		s = (s & 0xFFFF) + (s >> 16);
	ip[10] = (uint8_t)(~s >> 8);
	ip[11] = (uint8_t)~s;
}

/* outer addresses: the steered case, and two that show where time goes */
static uint8_t outer_src[4] = { 10, 0, 0, 50 }, outer_dst[4] = { 10, 0, 0, 11 };

/* flow @i: inner 192.168.(i/60000).x:port -> 172.16.0.5:443 */
static inline void build(uint8_t *f, uint32_t i)
{
	static const uint8_t our_mac[6] = { 0x02, 0x70, 0x63, 0x61, 0x70, 0x00 };
	static const uint8_t up_mac[6] = { 0x02, 0, 0, 0, 0, 0x50 };
	uint8_t *ip = f + 14, *udp = ip + 20, *g = udp + 8, *in = g + 8, *iu = in + 20;
	uint32_t src = 0xC0A80000u | (i / 60000 + 1) << 8 | (i / 60000) >> 8;
	uint16_t sport = (uint16_t)(1024 + i % 60000);

	memset(f, 0, FRAME_LEN);
	memcpy(f, our_mac, 6);
	memcpy(f + 6, up_mac, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = 0;
	ip[3] = FRAME_LEN - 14;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, outer_src, 4);
	memcpy(ip + 16, outer_dst, 4);
	csum_ip(ip);
	udp[0] = 0xC3;
	udp[1] = 0x50;
	udp[2] = 0x17;
	udp[3] = 0xC1;
	udp[5] = FRAME_LEN - 34;
	g[2] = 0x08; /* protocol 0x0800 */
	g[6] = 100;  /* VNI 100 << 8 */
	in[0] = 0x45;
	in[3] = FRAME_LEN - 58;
	in[8] = 64;
	in[9] = 17;
	in[12] = (uint8_t)(src >> 24);
	in[13] = (uint8_t)(src >> 16);
	in[14] = (uint8_t)(src >> 8);
	in[15] = (uint8_t)src;
	memcpy(in + 16, (uint8_t[]){ 172, 16, 0, 5 }, 4);
	csum_ip(in);
	iu[0] = (uint8_t)(sport >> 8);
	iu[1] = (uint8_t)sport;
	iu[2] = 0x01;
	iu[3] = 0xBB;
	iu[5] = FRAME_LEN - 78;
}

#endif /* XDP_FRAMES_H */
