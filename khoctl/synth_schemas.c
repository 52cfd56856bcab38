// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khoctl synth --schemas: a demo set of sub-schemas shaped like the real
 * 7.2.13 capture (tests/fixtures/linux-7.2.13-lean-luo/README.md):
 * kexec-metadata, a memblock reserve_mem region "sample" (1028 KiB), a
 * kho_test blob with a few folios, and LUO sessions holdout-main (memfds
 * 0x1a: 3 MiB pattern, pos 12345; 0x2b: 10000 bytes of text, seals 0x6;
 * 0x4d: empty) and holdout-state (999: 4 KiB). The memfd contents follow
 * the README's definitions, so their hashes match the capture's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "synth_schemas.h"

/* Between the encoder's meta area and the default RAM window. */
#define DEMO_REGION UINT64_C(0x20000000)
#define DEMO_TEST   UINT64_C(0x21000000)

static void pattern_1a(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t w = UINT64_C(0x484f4c444f555400) ^
			     ((uint64_t)(i / 8) * UINT64_C(0x9E3779B97F4A7C15));
		unsigned b;

		for (b = 0; b < 8; b++)
			p[i + b] = (unsigned char)(w >> (8 * b));
	}
}

static void pattern_2b(unsigned char *p, size_t n)
{
	char line[64];
	size_t i = 0;
	unsigned k = 0;

	while (i < n) {
		size_t l = (size_t)snprintf(line, sizeof(line),
					    "holdout memfd 0x2b line %04u\n", k++);

		memcpy(p + i, line, n - i < l ? n - i : l);
		i += l;
	}
}

/* ---- --luo SPEC ---- */

#define SPEC_MAX_SESSIONS 1024
#define SPEC_MAX_FILES 4096
#define SPEC_MAX_BYTES (UINT64_C(256) << 20)

struct synth_luo {
	struct khofmt_enc_luo_session *s;
	size_t ns;
	struct khofmt_enc_luo_file *f;
	size_t nf;
	char **names;
	unsigned char **data;
};

void synth_luo_free(struct synth_luo *l)
{
	size_t i;

	if (!l)
		return;
	/* all slots: a failed parse may leave one past ns/nf */
	for (i = 0; l->names && i < SPEC_MAX_SESSIONS; i++)
		free(l->names[i]);
	for (i = 0; l->data && i < SPEC_MAX_FILES; i++)
		free(l->data[i]);
	free(l->names);
	free(l->data);
	free(l->s);
	free(l->f);
	free(l);
}

/*
 * One "TOKEN=SIZE[+POS][/SEALS]" or "TOKEN=@FILE" (the content of FILE,
 * into *@loaded; the path is the rest of the item); NUL-terminated,
 * modified in place.
 */
static bool parse_file(char *t, struct khofmt_enc_luo_file *f,
		       unsigned char **loaded)
{
	char *eq = strchr(t, '='), *plus, *slash;
	uint64_t v;

	if (!eq)
		return false;
	*eq++ = 0;
	if (!input_parse_u64(t, &f->token))
		return false;
	if (eq[0] == '@') {	/* the rest is the path */
		void *b;
		size_t n;

		if (khofmt_read_file(eq + 1, (size_t)SPEC_MAX_BYTES, &b, &n))
			return false;
		*loaded = b;
		f->size = n;
		return true;
	}
	slash = strchr(eq, '/');
	if (slash)
		*slash++ = 0;
	plus = strchr(eq, '+');
	if (plus)
		*plus++ = 0;
	if (!input_parse_size(eq, &f->size) || f->size > SPEC_MAX_BYTES)
		return false;
	if (plus && !input_parse_u64(plus, &f->pos))
		return false;
	if (slash && (!input_parse_u64(slash, &v) || v > UINT32_MAX))
		return false;
	f->seals = slash ? (uint32_t)v : 0;
	return true;
}

struct synth_luo *synth_luo_parse(const char *spec, char *err, size_t errlen)
{
	struct synth_luo *l = calloc(1, sizeof(*l));
	char *dup = strdup(spec), *sess, *save = NULL;
	size_t *first = NULL, i;

	if (!l || !dup)
		goto nomem;
	l->s = calloc(SPEC_MAX_SESSIONS, sizeof(*l->s));
	l->names = calloc(SPEC_MAX_SESSIONS, sizeof(*l->names));
	l->f = calloc(SPEC_MAX_FILES, sizeof(*l->f));
	l->data = calloc(SPEC_MAX_FILES, sizeof(*l->data));
	first = calloc(SPEC_MAX_SESSIONS, sizeof(*first));
	if (!l->s || !l->names || !l->f || !l->data || !first)
		goto nomem;
	for (sess = strtok_r(dup, ";", &save); sess; sess = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(sess, ':'), *file, *save2 = NULL;

		if (!colon || colon == sess || colon - sess > 63) {
			snprintf(err, errlen, "session '%s': expected NAME:FILES "
				 "(name of 1..63 characters)", sess);
			goto fail;
		}
		if (l->ns == SPEC_MAX_SESSIONS) {
			snprintf(err, errlen, "more than %d sessions", SPEC_MAX_SESSIONS);
			goto fail;
		}
		*colon++ = 0;
		l->names[l->ns] = strdup(sess);
		if (!l->names[l->ns])
			goto nomem;
		first[l->ns] = l->nf;
		for (file = strtok_r(colon, ",", &save2); file;
		     file = strtok_r(NULL, ",", &save2)) {
			if (l->nf == SPEC_MAX_FILES) {
				snprintf(err, errlen, "more than %d files", SPEC_MAX_FILES);
				goto fail;
			}
			char orig[128];

			snprintf(orig, sizeof(orig), "%s", file);
			if (!parse_file(file, &l->f[l->nf], &l->data[l->nf])) {
				snprintf(err, errlen, "session '%s': bad file '%s' "
					 "(TOKEN=SIZE[+POS][/SEALS] or TOKEN=@FILE)",
					 sess, orig);
				goto fail;
			}
			l->nf++;
		}
		l->s[l->ns].name = l->names[l->ns];
		l->s[l->ns].nfiles = l->nf - first[l->ns];
		l->ns++;
	}
	if (!l->ns) {
		snprintf(err, errlen, "no session in '%s'", spec);
		goto fail;
	}
	for (i = 0; i < l->nf; i++) {
		uint64_t seed = l->f[i].token, j;

		if (l->data[i]) {	/* @FILE */
			l->f[i].data = l->data[i];
			continue;
		}
		l->data[i] = malloc(l->f[i].size ? (size_t)l->f[i].size : 1);
		if (!l->data[i])
			goto nomem;
		/* deterministic content: bytes of a splitmix64 stream from the token */
		for (j = 0; j < l->f[i].size; j++) {
			uint64_t z = (seed += UINT64_C(0x9e3779b97f4a7c15));

			z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
			l->data[i][j] = (unsigned char)(z >> 56);
		}
		l->f[i].data = l->data[i];
	}
	for (i = 0; i < l->ns; i++)
		l->s[i].files = l->f + first[i];
	free(first);
	free(dup);
	return l;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	free(first);
	free(dup);
	synth_luo_free(l);
	return NULL;
}

static int demo_luo(struct khofmt_enc *enc)
{
	static const size_t s1a = 3u << 20, s2b = 10000, s999 = 4096;
	unsigned char *d1a = malloc(s1a), *d2b = malloc(s2b), *d999 = calloc(1, s999);
	struct khofmt_enc_luo_file main_files[3] = {
		{ .token = 0x1a, .pos = 12345, .data = d1a, .size = s1a, .seals = 1 },
		{ .token = 0x2b, .data = d2b, .size = s2b, .seals = 6 },
		{ .token = 0x4d, .seals = 1 },
	};
	struct khofmt_enc_luo_file state_files[1] = {
		{ .token = 999, .data = d999, .size = s999, .seals = 1 },
	};
	const struct khofmt_enc_luo_session sess[2] = {
		{ "holdout-main", main_files, 3 },
		{ "holdout-state", state_files, 1 },
	};
	int r;

	if (!d1a || !d2b || !d999) {
		r = -KHOFMT_ERR_NOMEM;
		goto out;
	}
	pattern_1a(d1a, s1a);
	pattern_2b(d2b, s2b);
	r = khofmt_enc_luo(enc, 1, sess, 2, NULL, 0);
out:
	free(d1a);
	free(d2b);
	free(d999);
	return r;
}

int synth_schemas(struct khofmt_enc *enc, bool demo, const struct synth_luo *luo)
{
	const struct khofmt_enc_region reg = { "sample", DEMO_REGION, 1028 * 1024 };
	const uint64_t tphys[4] = { DEMO_TEST, DEMO_TEST + 0x100000,
				    DEMO_TEST + 0x180000, DEMO_TEST + 0x1c0000 };
	const unsigned tord[4] = { 8, 7, 6, 0 };
	int r = 0;

	if (demo) {
		r = khofmt_enc_kexec_meta(enc, "khoctl-synth", 1);
		r = r ? r : khofmt_enc_memblock(enc, &reg, 1);
		r = r ? r : khofmt_enc_kho_test(enc, tphys, tord, 4);
		if (!r && !luo)
			r = demo_luo(enc);
	}
	if (!r && luo)
		r = khofmt_enc_luo(enc, 1, luo->s, luo->ns, NULL, 0);
	return r;
}
