// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Small API contracts: error names for every int, version, ABI names,
 * NULL-safety of the free functions, encoder misuse.
 */
#include <limits.h>
#include <sys/wait.h>

#include "testutil.h"

/* Run @fn(@arg) in a child: a crash fails one test, not the program. */
static bool survives(bool (*fn)(int), int arg, char *how, size_t howlen)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail_out("fork");
	if (pid == 0)
		_exit(fn(arg) ? 0 : 1);
	if (waitpid(pid, &st, 0) < 0)
		bail_out("waitpid");
	if (WIFSIGNALED(st))
		snprintf(how, howlen, "killed by signal %d", WTERMSIG(st));
	else
		snprintf(how, howlen, "exit %d", WEXITSTATUS(st));
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static bool strerror_ok(int e)
{
	const char *s = khofmt_strerror(e);

	return s && *s;
}

static void test_strerror(void)
{
	static const int odd[] = { KHOFMT_ERR_MAX, -KHOFMT_ERR_MAX, 1000, -1000,
				   INT_MAX, -INT_MAX, INT_MIN };
	int e;
	bool all = true, distinct = true;
	size_t i;

	is_str(khofmt_strerror(0), khofmt_strerror(-0), "strerror(0)");
	for (e = 1; e < KHOFMT_ERR_MAX; e++) {
		const char *a = khofmt_strerror(e), *b = khofmt_strerror(-e);

		if (!a || !b || strcmp(a, b) || !*a)
			all = false;
		for (int f = 1; f < e && a; f++)
			if (!strcmp(a, khofmt_strerror(f)))
				distinct = false;
	}
	ok(all, "every code has a name, same for the code and its negation");
	ok(distinct, "names are distinct");
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		char how[64];

		ok(survives(strerror_ok, odd[i], how, sizeof(how)),
		   "strerror(%d) is a string (%s)", odd[i], how);
	}
}

static void test_names(void)
{
	static const struct {
		enum khofmt_abi abi;
		const char *name;
	} t[] = {
		{ KHOFMT_ABI_V1, "kho-v1" }, { KHOFMT_ABI_V2, "kho-v2" },
		{ KHOFMT_ABI_V3, "kho-v3" }, { KHOFMT_ABI_V4, "kho-v4" },
		{ KHOFMT_ABI_UNKNOWN, "unknown" }, { (enum khofmt_abi)99, "unknown" },
		{ (enum khofmt_abi)-1, "unknown" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_str(khofmt_abi_name(t[i].abi), t[i].name, "abi_name(%d)", (int)t[i].abi);
	is_str(khofmt_version(), PACKAGE_VERSION, "khofmt_version() = the package version");
}

static void test_null_frees(void)
{
	khofmt_source_free(NULL);
	khofmt_fdt_free(NULL);
	khofmt_handover_free(NULL);
	khofmt_enc_free(NULL);
	pass("free functions accept NULL");
}

static void test_encoder_misuse(void)
{
	struct khofmt_enc_opts eo = { .sz = sizeof(eo) };
	struct khofmt_enc *enc = NULL;
	struct khofmt_source *src = NULL, *src2 = NULL;
	void *fdt = NULL, *fdt2 = NULL;
	size_t len = 0, len2 = 0;
	unsigned i;
	int rc;

	/* finish twice, add after finish */
	if (!is(khofmt_enc_new(&eo, &enc), 0, "enc_new"))
		return;
	khofmt_enc_add_folio(enc, 0x40000000, 0);
	is(khofmt_enc_finish(enc, &src, &fdt, &len, NULL), 0, "finish");
	rc = khofmt_enc_finish(enc, &src2, &fdt2, &len2, NULL);
	ok(rc < 0, "second finish fails cleanly (%s)", khofmt_strerror(rc));
	if (rc >= 0) {
		khofmt_source_free(src2);
		free(fdt2);
	}
	rc = khofmt_enc_add_folio(enc, 0x40001000, 0);
	ok(rc < 0, "add_folio after finish fails cleanly (%s)", khofmt_strerror(rc));
	khofmt_enc_free(enc);
	khofmt_source_free(src);
	free(fdt);

	/* a meta area too small for the tree */
	eo.meta_base = 0x1000000;
	eo.meta_size = 3 * 4096;
	enc = NULL;
	if (is(khofmt_enc_new(&eo, &enc), 0, "enc_new with a 3-page meta area")) {
		int worst = 0;

		for (i = 0; i < 64; i++) {
			rc = khofmt_enc_add_folio(enc, (uint64_t)(i + 1) << 33, 0);
			if (rc < 0 && !worst)
				worst = rc;
		}
		src = NULL;
		fdt = NULL;
		rc = khofmt_enc_finish(enc, &src, &fdt, &len, NULL);
		if (rc < 0 && !worst)
			worst = rc;
		ok(worst < 0 && worst > -KHOFMT_ERR_MAX,
		   "64 far-apart folios in 3 meta pages: clean error (%s)", khofmt_strerror(worst));
		if (rc >= 0) {
			khofmt_source_free(src);
			free(fdt);
		}
		khofmt_enc_free(enc);
	}

	/* meta area beyond 2^52 or wrapping */
	eo.meta_base = U64(1) << 52;
	eo.meta_size = 1 << 20;
	enc = NULL;
	rc = khofmt_enc_new(&eo, &enc);
	ok(rc < 0, "meta area at 2^52 rejected (%s)", khofmt_strerror(rc));
	if (rc >= 0)
		khofmt_enc_free(enc);
	eo.meta_base = 0x1000001;
	eo.meta_size = 1 << 20;
	enc = NULL;
	rc = khofmt_enc_new(&eo, &enc);
	ok(rc < 0, "meta area not page-aligned rejected (%s)", khofmt_strerror(rc));
	if (rc >= 0)
		khofmt_enc_free(enc);

	/* subnode names */
	eo.meta_base = eo.meta_size = 0;
	enc = NULL;
	if (is(khofmt_enc_new(&eo, &enc), 0, "enc_new for subnode names")) {
		static const char data[8] = "abcdefg";
		int r1 = khofmt_enc_add_blob(enc, "dup", data, sizeof(data), NULL);
		int r2 = khofmt_enc_add_blob(enc, "dup", data, sizeof(data), NULL);
		int r3 = khofmt_enc_add_subnode(enc, "a/b", 0x1000, 8);
		int r4 = khofmt_enc_add_subnode(enc, "", 0x1000, 8);
		int rf;

		src = NULL;
		fdt = NULL;
		rf = khofmt_enc_finish(enc, &src, &fdt, &len, NULL);
		is(r1, 0, "first blob \"dup\"");
		ok(r2 < 0 || rf < 0, "a second subnode \"dup\" is refused (add %s, finish %s)",
		   khofmt_strerror(r2), khofmt_strerror(rf));
		ok(r3 < 0 || rf < 0, "subnode name with '/' refused (%s)", khofmt_strerror(r3));
		ok(r4 < 0 || rf < 0, "empty subnode name refused (%s)", khofmt_strerror(r4));
		if (rf >= 0) {
			khofmt_source_free(src);
			free(fdt);
		}
		khofmt_enc_free(enc);
	}
}

static void test_fdt_errbuf(void)
{
	unsigned char junk[64];
	char small[4] = "xyz", one[1] = { 'x' };
	struct khofmt_fdt *f = NULL;
	int rc;

	memset(junk, 0x41, sizeof(junk));
	rc = khofmt_fdt_open(junk, sizeof(junk), &f, small, sizeof(small));
	ok(rc < 0 && memchr(small, 0, sizeof(small)), "a 4-byte errbuf is filled and terminated");
	rc = khofmt_fdt_open(junk, sizeof(junk), &f, one, 1);
	ok(rc < 0 && one[0] == 0, "a 1-byte errbuf gets just the terminator");
	rc = khofmt_fdt_open(junk, sizeof(junk), &f, NULL, 100);
	ok(rc < 0, "NULL errbuf with a length is fine");
	rc = khofmt_fdt_open(NULL, 100, &f, NULL, 0);
	ok(rc < 0, "NULL blob: error (%s)", khofmt_strerror(rc));
}

/* khofmt_utf8_len against RFC 3629's table of well-formed sequences. */
static void test_utf8(void)
{
	static const struct { const char *s; size_t want; const char *what; } t[] = {
		{ "A", 0, "ASCII is not a multi-byte sequence" },
		{ "\xc3\xa9", 2, "U+00E9" },
		{ "\xc0\xaf", 0, "overlong C0" },
		{ "\xc1\xbf", 0, "overlong C1" },
		{ "\xe2\x82\xac", 3, "U+20AC" },
		{ "\xe0\x9f\xbf", 0, "overlong E0 9F" },
		{ "\xe0\xa0\x80", 3, "U+0800" },
		{ "\xed\x9f\xbf", 3, "U+D7FF" },
		{ "\xed\xa0\x80", 0, "surrogate U+D800" },
		{ "\xf0\x9f\x98\x80", 4, "U+1F600" },
		{ "\xf0\x8f\xbf\xbf", 0, "overlong F0 8F" },
		{ "\xf4\x8f\xbf\xbf", 4, "U+10FFFF" },
		{ "\xf4\x90\x80\x80", 0, "above U+10FFFF" },
		{ "\xf5\x80\x80\x80", 0, "F5 lead byte" },
		{ "\xe2\x82", 0, "cut by the NUL" },
		{ "\xf0\x9f\x98", 0, "4-byte sequence cut by the NUL" },
		{ "\x80", 0, "lone continuation byte" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ok(khofmt_utf8_len(t[i].s) == t[i].want, "utf8_len: %s -> %zu",
		   t[i].what, t[i].want);
	ok(khofmt_utf8_len(NULL) == 0, "utf8_len(NULL) = 0");
}

/*
 * Option structs, one policy (libbpf's OPTS_VALID): a caller built against
 * a newer header passes a larger struct; zero bytes past what this library
 * knows are fine, a non-zero one is a request it cannot honour and is
 * refused with KHOFMT_ERR_OPTS; a size below a size_t is INVAL.
 */
static void test_opts_policy(void)
{
	struct {
		struct khofmt_enc_opts o;
		uint64_t future;
	} eo = { .o = { .sz = sizeof(eo) } };
	struct {
		struct khofmt_walk_opts o;
		uint32_t future[3];
	} wo = { .o = { .sz = sizeof(wo) } };
	struct {
		struct khofmt_open_opts o;
		unsigned char future[5];
	} oo = { .o = { .sz = sizeof(oo), .page_shift = 12 } };
	struct khofmt_stats st;
	struct khofmt_handover *h = NULL;
	struct khofmt_enc *enc = NULL;
	struct state s;
	int rc;

	is(khofmt_enc_new(&eo.o, &enc), 0, "enc_new: larger struct, zero tail: accepted");
	khofmt_enc_free(enc);
	enc = NULL;
	eo.future = 1;
	is(khofmt_enc_new(&eo.o, &enc), -KHOFMT_ERR_OPTS,
	   "enc_new: a non-zero unknown field: KHOFMT_ERR_OPTS");
	ok(!enc, "enc_new: nothing allocated then");
	eo.o.sz = 4;
	is(khofmt_enc_new(&eo.o, &enc), -KHOFMT_ERR_INVAL, "enc_new: sz 4: INVAL");
	is_str(khofmt_strerror(-KHOFMT_ERR_OPTS),
	       "option struct has fields this library does not know",
	       "KHOFMT_ERR_OPTS has a name");

	if (khofmt_enc_new(NULL, &enc) || khofmt_enc_add_folio(enc, 0x100000000, 3)) {
		fail("encode a state");
		khofmt_enc_free(enc);
		return;
	}
	rc = state_finish_open(enc, 12, &s);
	khofmt_enc_free(enc);
	if (rc) {
		fail("open the state");
		return;
	}
	is(khofmt_stats(s.h, &wo.o, &st), 0, "stats: larger walk opts, zero tail");
	wo.future[2] = 0x80;
	is(khofmt_stats(s.h, &wo.o, &st), -KHOFMT_ERR_OPTS,
	   "stats: a non-zero byte past the known walk opts: KHOFMT_ERR_OPTS");
	is(khofmt_handover_open(s.fdt, s.src, &oo.o, &h), 0,
	   "handover_open: larger open opts, zero tail");
	khofmt_handover_free(h);
	h = NULL;
	oo.future[4] = 1;
	is(khofmt_handover_open(s.fdt, s.src, &oo.o, &h), -KHOFMT_ERR_OPTS,
	   "handover_open: its last unknown byte set: KHOFMT_ERR_OPTS");
	ok(!h, "handover_open: no handover then");
	state_free(&s);
}

int main(void)
{
	test_strerror();
	test_utf8();
	test_names();
	test_null_frees();
	test_encoder_misuse();
	test_fdt_errbuf();
	test_opts_policy();
	return done_testing();
}
