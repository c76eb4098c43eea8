/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL leaves its runtime directory (/var/run/dpdk/PREFIX) behind when a
 * process ends; the in-process tests and the fuzz targets remove it, so
 * runs leave nothing.  Header-only: both kinds of binary include it.
 */
#ifndef GS_TEST_EAL_RUNTIME_H
#define GS_TEST_EAL_RUNTIME_H

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

/* the files in @dir, then @dir itself; nothing when @dir is NULL or "" */
static inline void gs_test_remove_runtime_dir(const char *dir)
{
	struct dirent *e;
	DIR *d;

	if (!dir || !dir[0] || !(d = opendir(dir)))
		return;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(dir);
}

#endif /* GS_TEST_EAL_RUNTIME_H */
