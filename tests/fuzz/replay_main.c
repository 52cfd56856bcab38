// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Corpus replayer: a fuzz target compiled with this main() feeds each file
 * named on the command line (directories: each regular file inside, sorted)
 * to LLVMFuzzerTestOneInput() and prints one TAP line per file. A crash or
 * a failed invariant aborts the program, which the TAP driver reports.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "fuzz.h"

static unsigned n_run;

static int feed(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, len = 0, got;

	if (!f) {
		printf("not ok %u - %s: %s\n", ++n_run, path, strerror(errno));
		return 1;
	}
	do {
		if (cap - len < 65536) {
			cap = cap ? 2 * cap : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got);
	fclose(f);
	/* An exact-size copy, so ASan sees reads past the input's end. */
	{
		uint8_t *exact = malloc(len ? len : 1);

		if (!exact)
			abort();
		memcpy(exact, buf, len);
		free(buf);
		fprintf(stderr, "replay %s (%zu bytes)\n", path, len);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	printf("ok %u - %s\n", ++n_run, path);
	fflush(stdout);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int feed_dir(const char *dir)
{
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	int bad = 0;
	DIR *d = opendir(dir);

	if (!d) {
		printf("not ok %u - %s: %s\n", ++n_run, dir, strerror(errno));
		return 1;
	}
	while ((de = readdir(d))) {
		char *p;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		p = malloc(strlen(dir) + strlen(de->d_name) + 2);
		if (!p)
			abort();
		sprintf(p, "%s/%s", dir, de->d_name);
		if (stat(p, &st) || !S_ISREG(st.st_mode)) {
			free(p);
			continue;
		}
		names = realloc(names, (n + 1) * sizeof(*names));
		if (!names)
			abort();
		names[n++] = p;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		bad |= feed(names[i]);
		free(names[i]);
	}
	free(names);
	return bad;
}

int main(int argc, char **argv)
{
	struct stat st;
	int i, bad = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			bad |= feed_dir(argv[i]);
		else
			bad |= feed(argv[i]);
	}
	printf("1..%u\n", n_run);
	return bad ? 1 : 0;
}
