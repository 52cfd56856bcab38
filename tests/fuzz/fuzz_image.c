// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Kernel images: khofmt_image_open_mem() on arbitrary bytes (bzImage and
 * zboot headers, every decompressor, the string scanner), then every
 * getter. The decompressed bound is 8 MiB here so that a bomb costs
 * milliseconds; the bound itself is what is checked.
 *
 * fuzz-dict: image
 * fuzz-max-len: 65536
 */
#include "fuzz.h"

static const struct khofmt_image_want wants[] = {
	{ "kho-v4", NULL }, { "luo-v5", NULL }, { "memfd-v2", NULL },
	{ "LUO", NULL }, { "kho-test-v1", "test_kho" }, { "", NULL },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct khofmt_image_opts o = {
		.sz = sizeof(o), .max_size = 8u << 20,
		.wants = wants, .nwants = sizeof(wants) / sizeof(wants[0]),
	};
	const struct khofmt_image_info *ii;
	struct khofmt_image *img = NULL;
	char err[256], fam[128];
	const char *mod;
	size_t i, n;
	int rc;

	rc = khofmt_image_open_mem(data, size, &o, &img, err, sizeof(err));
	FZ_RC(rc);
	if (rc < 0) {
		FZ_ASSERT(!img);
		FZ_ASSERT(err[0] || rc == -KHOFMT_ERR_NOMEM); /* a clear error */
		return 0;
	}
	ii = khofmt_image_info(img);
	FZ_ASSERT(ii->release[0] && strlen(ii->release) < sizeof(ii->release));
	FZ_ASSERT(ii->scanned <= o.max_size);
	FZ_ASSERT(ii->payload_off + ii->payload_len <= size);
	FZ_ASSERT(khofmt_image_format_name(ii->format));
	for (i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		enum khofmt_image_where w = khofmt_image_lookup(img, wants[i].str, &mod);

		FZ_ASSERT(w != KHOFMT_IMAGE_IN_MODULE && !mod);
		FZ_ASSERT(wants[i].str[0] || w == KHOFMT_IMAGE_ABSENT);
	}
	n = khofmt_image_ntokens(img);
	for (i = 0; i < n; i++) {
		const char *t = khofmt_image_token(img, i);

		FZ_ASSERT(t && strstr(t, "-v"));
		FZ_ASSERT(khofmt_image_family(img, t, fam, sizeof(fam)) >= 1);
		FZ_ASSERT(i == 0 || strcmp(khofmt_image_token(img, i - 1), t) < 0);
	}
	khofmt_image_free(img);
	return 0;
}
