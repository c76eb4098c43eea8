/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fixed-width types and inline markers that work in user space and in the
 * BPF target, so the header-only parts of common/ (flow key, hash, wire
 * constants) compile unchanged into the XDP program.
 */
#ifndef GS_COMPAT_H
#define GS_COMPAT_H

#if defined(__bpf__)
#include <linux/types.h>
typedef __u8 uint8_t;
typedef __u16 uint16_t;
typedef __u32 uint32_t;
typedef __u64 uint64_t;
typedef _Bool bool;
#define true 1
#define false 0
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define GS_INLINE static __always_inline
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#define GS_INLINE static inline
#endif

/*
 * Loop unrolling hint: the BPF verifier wants bounded loops unrolled (clang),
 * and gcc rejects clang's spelling under -Werror=unknown-pragmas.
 */
#if defined(__clang__)
#define GS_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define GS_UNROLL _Pragma("GCC unroll 16")
#else
#define GS_UNROLL
#endif

#define GS_LIKELY(x) __builtin_expect(!!(x), 1)
#define GS_UNLIKELY(x) __builtin_expect(!!(x), 0)

#endif /* GS_COMPAT_H */
