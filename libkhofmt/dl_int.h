/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loading an optional library with dlopen() (not installed).
 *
 * libkhofmt loads the libraries only a few inputs need when such an input
 * is read, not at start-up (issue 20): libkdumpfile (source_kdump.c),
 * libarchive (capture_archive.c), liblzma/libzstd/liblz4/libbz2
 * (image.c). Each caller keeps its handle and a table of function
 * pointers of its own (no global state); this is the one loader they
 * share. A static inline function: the static builds compile these files
 * without their dlopen paths, and then nothing here is instantiated.
 */
#ifndef KHOFMT_DL_INT_H
#define KHOFMT_DL_INT_H

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* One function of the library: its name and where its pointer goes. */
struct khofmt_dl_sym {
	const char *name;
	size_t off;     /* offsetof() in the caller's table */
};
#define KHOFMT_DL_SYM(type, member, fn) { #fn, offsetof(type, member) }

/*
 * Load @soname (RTLD_NOW: a missing symbol fails here, not later;
 * RTLD_NODELETE: once loaded it stays mapped, so a later dlclose() cannot
 * pull code from under a pointer another caller still holds) and store
 * each of the @n functions of @syms into @table. The handle, or NULL with
 * the loader's words in @why ("<dlerror>" or "<soname>: no <function>").
 */
static inline void *khofmt_dl_open(const char *soname, const struct khofmt_dl_sym *syms,
				   size_t n, void *table, char *why, size_t len)
{
	void *dl = dlopen(soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	size_t i;

	if (!dl) {
		const char *e = dlerror();

		snprintf(why, len, "%s", e ? e : soname);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		void *sym = dlsym(dl, syms[i].name);

		if (!sym) {
			snprintf(why, len, "%s: no %s", soname, syms[i].name);
			dlclose(dl);
			return NULL;
		}
		/* POSIX: a function's address converts from void * */
		memcpy((char *)table + syms[i].off, &sym, sizeof(sym));
	}
	return dl;
}

#endif
