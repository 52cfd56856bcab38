// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * systemd's FD store (LUO session "systemd", schema_systemd.c).
 *
 * The mappings are written here by an independent writer that follows
 * systemd 262's format (compact JSON as sd_json_variant_format() with no
 * flags gives it: {"version":1,"state":{...},"units":{"U":{"fdstore":[
 * {"type":"fd","name":"N","token":T},{"type":"luo_session","name":"N",
 * "sessionName":"S"}]}}}, tokens from 1 in mapping order), put at token 0
 * of a session "systemd" by the project's LUO encoder, next to the stored
 * memfds. Then: the decoder gives back what was written (units, names,
 * tokens, sizes); verify is clean; and each hostile mapping or memory
 * fault gives its own rule ID (and no other error), for 4, 16, 64 KiB
 * pages. Parse-only cases check the JSON parser's refusals.
 */
#include "testutil.h"

#define CK(cond, ...) do { if (!(cond)) bail_out(__VA_ARGS__); } while (0)

/* ---- the test-side writer ---- */

struct wbuf {
	char *p;
	size_t n, cap;
};

static void wput(struct wbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void wstr(struct wbuf *b, const char *s)
{
	wput(b, s, strlen(s));
}

/* A JSON string as sd-json escapes it ("\\", "\"", control characters). */
static void wjstr(struct wbuf *b, const char *s)
{
	char e[8];

	wstr(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			wput(b, e, 2);
		} else if (c == '\n') {
			wstr(b, "\\n");
		} else if (c < 0x20) {
			snprintf(e, sizeof(e), "\\u%04x", c);
			wstr(b, e);
		} else {
			wput(b, (const char *)&c, 1);
		}
	}
	wstr(b, "\"");
}

struct went {
	const char *unit, *name;
	bool session;          /* luo_session entry */
	const char *sess;      /* its sessionName */
	uint64_t token;        /* fd entry: assigned by the writer */
};

/* Entries of one unit are consecutive; tokens from 1, fd entries only. */
static char *write_mapping(struct went *e, size_t n, size_t *len)
{
	struct wbuf b = { 0 };
	uint64_t token = 1;
	char num[32];
	size_t i;

	wstr(&b, "{\"version\":1,\"state\":{\"kexecsCount\":3},\"units\":{");
	for (i = 0; i < n; i++) {
		bool first_of_unit = i == 0 || strcmp(e[i - 1].unit, e[i].unit);

		if (first_of_unit) {
			if (i)
				wstr(&b, "]},");
			wjstr(&b, e[i].unit);
			wstr(&b, ":{\"fdstore\":[");
		} else {
			wstr(&b, ",");
		}
		wstr(&b, "{\"type\":");
		wjstr(&b, e[i].session ? "luo_session" : "fd");
		wstr(&b, ",\"name\":");
		wjstr(&b, e[i].name);
		if (e[i].session) {
			wstr(&b, ",\"sessionName\":");
			wjstr(&b, e[i].sess);
		} else {
			e[i].token = token++;
			snprintf(num, sizeof(num), ",\"token\":%" PRIu64, e[i].token);
			wstr(&b, num);
		}
		wstr(&b, "}");
	}
	if (n)
		wstr(&b, "]}");
	wstr(&b, "}}");
	*len = b.n;
	return b.p;
}

/* ---- problems seen by the parser ---- */

struct seen {
	char rules[64][8];
	size_t n;
};

static int on_problem(void *arg, const struct khofmt_schema_problem *p)
{
	struct seen *s = arg;

	if (s->n < 64)
		snprintf(s->rules[s->n++], 8, "%s", p->rule);
	return 0;
}

static bool saw(const struct seen *s, const char *rule)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->rules[i], rule))
			return true;
	return false;
}

static struct khofmt_systemd *parse(const char *t, size_t len, struct seen *s)
{
	struct khofmt_schema_opts o = { .sz = sizeof(o), .problem = on_problem,
					.problem_arg = s };
	struct khofmt_systemd *sd = NULL;

	memset(s, 0, sizeof(*s));
	CK(khofmt_systemd_parse(t, len, &o, &sd) == 0 && sd, "parse");
	return sd;
}

/* ---- the reference state ---- */

static struct went ref[] = {
	{ "holder.service", "blob", false, NULL, 0 },
	{ "holder.service", "cfg\"quoted\\", false, NULL, 0 },
	{ "holder.service", "sess", true, "holder.service/own", 0 },
	{ "web@8080.service", "listen", false, NULL, 0 },
	{ "cafe.service", "caf\xc3\xa9 line\nbreak", false, NULL, 0 },
};
#define NREF (sizeof(ref) / sizeof(ref[0]))

static void test_parse_roundtrip(void)
{
	struct seen s;
	struct khofmt_systemd *sd;
	size_t len, i;
	char *t = write_mapping(ref, NREF, &len);
	bool same = true;

	sd = parse(t, len, &s);
	ok(s.n == 0, "the writer's mapping parses without a problem (%zu)", s.n);
	ok(khofmt_systemd_nfds(sd) == NREF && khofmt_systemd_info(sd)->parsed &&
	   khofmt_systemd_info(sd)->version == 1 &&
	   khofmt_systemd_info(sd)->units == 3 && khofmt_systemd_info(sd)->has_state,
	   "version 1, state, 3 units, %zu entries", NREF);
	for (i = 0; i < NREF && i < khofmt_systemd_nfds(sd); i++) {
		const struct khofmt_systemd_fd *f = khofmt_systemd_fd(sd, i);

		if (strcmp(f->unit, ref[i].unit) || strcmp(f->name, ref[i].name) ||
		    f->type != (ref[i].session ? KHOFMT_SYSTEMD_TYPE_LUO_SESSION :
						 KHOFMT_SYSTEMD_TYPE_FD) ||
		    !f->restorable ||
		    (ref[i].session ? !f->session_name || strcmp(f->session_name, ref[i].sess) :
				      !f->has_token || f->token != ref[i].token)) {
			diag("entry %zu: %s %s", i, f->unit, f->name);
			same = false;
		}
	}
	ok(same, "units, names (escapes, UTF-8), types, tokens and sessions as written");
	khofmt_systemd_free(sd);
	free(t);
}

/*
 * The mapping Debian sid's systemd 262.1-1 wrote in `make check-vm-systemd`
 * (read from the guest's memory at the kexec by tests/vm/host/vmdump):
 * one unit with one memfd, and the "state" object with the shutdown
 * timestamps. Expected values read off the text by hand.
 */
static void test_real_262(void)
{
	static const char t[] =
		"{\"version\":1,\"state\":{\"KExecCount\":0,\"ShutdownStartTimestamp\":{\"realtime\":1796204753436394,\"monotonic\":28436394},\"ShutdownFinishTimestamp\":{\"realtime\":1796204756710370,\"monotonic\":31710371},\"ShutdownLateStartTimestamp\":{\"realtime\":1796204756909388,\"monotonic\":31909528},\"ShutdownLateFinishTimestamp\":{\"realtime\":1796204757666995,\"monotonic\":32667000}},\"units\":{\"kho-fdstore-test.service\":{\"fdstore\":[{\"type\":\"fd\",\"name\":\"khotest\",\"token\":1}]}}}";
	struct seen s;
	struct khofmt_systemd *sd = parse(t, sizeof(t) - 1, &s);
	const struct khofmt_systemd_fd *f;

	ok(s.n == 0, "systemd 262.1's own mapping parses without a problem (%zu)", s.n);
	ok(khofmt_systemd_info(sd)->parsed && khofmt_systemd_info(sd)->version == 1 &&
	   khofmt_systemd_info(sd)->has_state && khofmt_systemd_info(sd)->units == 1 &&
	   khofmt_systemd_nfds(sd) == 1, "262.1: version 1, a state object, 1 unit, 1 entry");
	f = khofmt_systemd_nfds(sd) == 1 ? khofmt_systemd_fd(sd, 0) : NULL;
	ok(f && !strcmp(f->unit, "kho-fdstore-test.service") && !strcmp(f->name, "khotest") &&
	   f->type == KHOFMT_SYSTEMD_TYPE_FD && f->has_token && f->token == 1 && f->restorable,
	   "262.1: kho-fdstore-test.service, fd \"khotest\", type fd, token 1, restorable");
	khofmt_systemd_free(sd);
}

/* Parser refusals: each text must give @rule (and no entry). */
static void test_parse_hostile(void)
{
	static const struct { const char *text, *rule, *what; } c[] = {
		/* the one case with a restorable entry left comes first */
		{ "{\"version\":1,\"units\":{\"a.service\":{\"fdstore\":[{\"type\":\"fd\",\"name\":\"x\",\"token\":1},{\"type\":\"fd\",\"name\":\"y\",\"token\":1}]}}}",
		  "SYSD-4", "token named twice" },
		{ "", "SYSD-2", "empty" },
		{ "{\"version\":1,\"units\":{\"a.service\":{\"fdst", "SYSD-2", "truncated" },
		{ "[1]", "SYSD-2", "not an object" },
		{ "{\"units\":{}}", "SYSD-2", "version missing" },
		{ "{\"version\":\"1\"}", "SYSD-2", "version a string" },
		{ "{\"version\":-1}", "SYSD-2", "version negative" },
		{ "{\"version\":1.5}", "SYSD-2", "version a fraction" },
		{ "{\"version\":1,\"version\":1}", "SYSD-2", "version twice" },
		{ "{\"version\":1,\"units\":[]}", "SYSD-2", "units an array" },
		{ "{\"version\":1,\"state\":7}", "SYSD-2", "state a number" },
		{ "{\"version\":1} x", "SYSD-2", "data after the value" },
		{ "{\"version\":1,\"s\":\"\\u0000\"}", "SYSD-2", "\\u0000" },
		{ "{\"version\":1,\"s\":\"\\ud800\"}", "SYSD-2", "lone surrogate" },
		{ "{\"version\":1,\"s\":\"\xc3\x28\"}", "SYSD-2", "invalid UTF-8" },
		{ "{\"version\":1,\"s\":\"a\tb\"}", "SYSD-2", "raw control character" },
		{ "{\"version\":01}", "SYSD-2", "leading zero" },
		{ "{\"version\":18446744073709551616}", "SYSD-2", "version above 2^64-1" },
		{ "{\"version\":2,\"units\":{}}", "SYSD-3", "version 2" },
		{ "{\"version\":1,\"units\":{\"a.service\":{\"fdstore\":[{\"type\":\"fd\",\"name\":\"x\"}]}}}",
		  "SYSD-4", "fd without token" },
		{ "{\"version\":1,\"units\":{\"a.service\":{\"fdstore\":[{\"type\":\"fd\",\"name\":\"x\",\"token\":0}]}}}",
		  "SYSD-4", "token 0" },
		{ "{\"version\":1,\"units\":{\"a.service\":{\"fdstore\":[{\"type\":\"fd\",\"name\":\"x\",\"token\":\"1\"}]}}}",
		  "SYSD-4", "token a string" },
		{ "{\"version\":1,\"units\":{\"a.service\":{\"fdstore\":[{\"type\":\"pipe\",\"name\":\"x\",\"token\":1}]}}}",
		  "SYSD-4", "unknown type" },
		{ "{\"version\":1,\"units\":{\"a.service\":{\"fdstore\":[{\"type\":\"fd\",\"name\":\"x\",\"name\":\"y\",\"token\":1}]}}}",
		  "SYSD-4", "name twice" },
		{ "{\"version\":1,\"units\":{\"a.service\":{\"fdstore\":[{\"type\":\"luo_session\",\"name\":\"x\"}]}}}",
		  "SYSD-4", "luo_session without sessionName" },
		{ "{\"version\":1,\"units\":{\"no-suffix\":{\"fdstore\":[{\"type\":\"fd\",\"name\":\"x\",\"token\":1}]}}}",
		  "SYSD-4", "invalid unit name" },
		{ "{\"version\":1,\"units\":{\"a.service\":{\"fdstore\":{}}}}", "SYSD-4",
		  "fdstore an object" },
		{ "{\"version\":1,\"units\":{\"a.service\":{\"fdstore\":[7]}}}", "SYSD-4",
		  "entry a number" },
		/* json-c 0.16 accepts these (probed): refused by the text check */
		{ "{\"version\":NaN}", "SYSD-2", "version NaN" },
		{ "{\"version\":1,\"s\":\"\xc0\x86\"}", "SYSD-2", "overlong UTF-8 (fuzz_systemd)" },
		{ "{\"version\":1,\"s\":\"\xed\xa0\x80\"}", "SYSD-2", "a surrogate in UTF-8" },
		{ "{\"version\":1,\"s\":Infinity}", "SYSD-2", "Infinity" },
		{ "{\"version\":-0}", "SYSD-2", "version -0" },
		{ "{\"version\":null}", "SYSD-2", "version null" },
		{ "{\"version\":1,\"s\":\"\\udc00\"}", "SYSD-2", "lone low surrogate" },
		{ "{\"version\":1,\"s\":\"\\u0000\"}", "SYSD-2", "\\u0000 in a key's value" },
		{ "{\"version\":1,\"k\\u0000\":1}", "SYSD-2", "\\u0000 in a key" },
		/* json-c keeps the last of a duplicated key and clamps at 2^64-1 */
		{ "{\"version\":1,\"units\":{\"a.service\":{\"fdstore\":[{\"type\":\"fd\",\"name\":\"x\",\"token\":18446744073709551616}]}}}",
		  "SYSD-4", "token 2^64 (json-c: 2^64-1)" },
		{ "{\"version\":1,\"units\":{\"a.service\":{\"fdstore\":[{\"type\":\"fd\",\"name\":\"x\",\"token\":null}]}}}",
		  "SYSD-4", "token null" },
		{ "{\"version\":1,\"units\":{\"a.service\":{\"fdstore\":[{\"type\":\"fd\",\"name\":\"x\",\"token\":1,\"\\u0074oken\":2}]}}}",
		  "SYSD-4", "token twice, once escaped" },
		{ "{\"version\":\"x\",\"ver\\u0073ion\":1}", "SYSD-2", "version twice, the last valid" },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct seen s;
		struct khofmt_systemd *sd = parse(c[i].text, strlen(c[i].text), &s);
		size_t k, left = 0;

		for (k = 0; k < khofmt_systemd_nfds(sd); k++)
			if (khofmt_systemd_fd(sd, k)->restorable)
				left++;
		if (!ok(saw(&s, c[i].rule) && left == (i == 0),
			"%s: %s, %s restorable", c[i].what, c[i].rule,
			i == 0 ? "only the first" : "nothing"))
			for (k = 0; k < s.n; k++)
				diag("  got %s", s.rules[k]);
		khofmt_systemd_free(sd);
	}
}

/*
 * Texts json-c parses differently from RFC 8259 that must still decode
 * as written: the largest token, trailing whitespace, a key the reader
 * does not dispatch given twice.
 */
static void test_parse_kept(void)
{
	static const struct { const char *text, *what; uint64_t token; } c[] = {
		{ "{\"version\":1,\"units\":{\"a.service\":{\"fdstore\":[{\"type\":\"fd\",\"name\":\"x\",\"token\":18446744073709551615}]}}}\n\t ",
		  "token 2^64-1, trailing whitespace", UINT64_MAX },
		{ "{\"x\":[1],\"version\":1,\"x\":{},\"units\":{\"a.service\":{\"fdstore\":[{\"type\":\"fd\",\"name\":\"x\",\"token\":7}]}}}",
		  "an undispatched key twice", 7 },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct seen s;
		struct khofmt_systemd *sd = parse(c[i].text, strlen(c[i].text), &s);
		const struct khofmt_systemd_fd *f = khofmt_systemd_nfds(sd) == 1 ?
						    khofmt_systemd_fd(sd, 0) : NULL;

		ok(s.n == 0 && f && f->restorable && f->has_token && f->token == c[i].token &&
		   !strcmp(f->unit, "a.service") && !strcmp(f->name, "x"),
		   "%s: no finding, a.service fd x token %llu restorable", c[i].what,
		   (unsigned long long)c[i].token);
		khofmt_systemd_free(sd);
	}
}

/*
 * A unit id given twice: systemd's reader takes every member of "units"
 * (json-c keeps only the last value; the earlier ones are parsed again).
 * Each text: a.service twice, its fds x then y in text order; @rules:
 * the SYSD-4 findings expected (all about x), @xok: x restorable.
 */
static void test_unit_twice(void)
{
	static const struct { const char *text, *what; size_t rules; bool xok; } c[] = {
		{ "{\"version\":1,\"units\":{\"a.service\":{\"fdstore\":[{\"type\":\"fd\",\"name\":\"x\",\"token\":1}]},\"b.service\":{\"fdstore\":[]},\"a.service\":{\"fdstore\":[{\"type\":\"fd\",\"name\":\"y\",\"token\":2}]}}}",
		  "both restorable", 0, true },
		{ "{\"version\":1,\"units\":{\"a.service\":{\"fdstore\":[{\"type\":\"fd\",\"name\":\"x\",\"token\":18446744073709551616}]},\"b.service\":{\"fdstore\":[]},\"a.service\":{\"fdstore\":[{\"type\":\"fd\",\"name\":\"y\",\"token\":2}]}}}",
		  "the earlier token above 2^64-1 (its mark not on the later)", 1, false },
		{ "{\"version\":1,\"units\":{\"a.service\":{\"fdstore\":[{\"type\":\"fd\",\"name\":\"x\",\"token\":1,\"token\":1}]},\"b.service\":{\"fdstore\":[]},\"a.service\":{\"fdstore\":[{\"type\":\"fd\",\"name\":\"y\",\"token\":2}]}}}",
		  "the earlier entry with a field twice", 1, false },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct seen s;
		struct khofmt_systemd *sd = parse(c[i].text, strlen(c[i].text), &s);
		const struct khofmt_systemd_fd *x = NULL, *y = NULL;

		if (khofmt_systemd_nfds(sd) == 2) {
			x = khofmt_systemd_fd(sd, 0);
			y = khofmt_systemd_fd(sd, 1);
		}
		ok(khofmt_systemd_info(sd)->units == 3 && x && y &&
		   s.n == c[i].rules && (!s.n || saw(&s, "SYSD-4")) &&
		   !strcmp(x->unit, "a.service") && !strcmp(x->name, "x") &&
		   x->restorable == c[i].xok && (!c[i].xok || x->token == 1) &&
		   !strcmp(y->unit, "a.service") && !strcmp(y->name, "y") &&
		   y->restorable && y->has_token && y->token == 2,
		   "a.service twice, %s: 3 units, x %s, y token 2 restorable, %zu SYSD-4",
		   c[i].what, c[i].xok ? "token 1 restorable" : "skipped", c[i].rules);
		khofmt_systemd_free(sd);
	}
}

/* Nesting: 100 levels in "state" are fine, 5000 refused, no crash. */
static void test_depth(void)
{
	struct wbuf b = { 0 };
	struct seen s;
	struct khofmt_systemd *sd;
	int i, depth[2] = { 100, 5000 };
	int k;

	for (k = 0; k < 2; k++) {
		b.n = 0;
		wstr(&b, "{\"version\":1,\"state\":{\"x\":");
		for (i = 0; i < depth[k]; i++)
			wstr(&b, "[");
		for (i = 0; i < depth[k]; i++)
			wstr(&b, "]");
		wstr(&b, "}}");
		sd = parse(b.p, b.n, &s);
		ok(k == 0 ? s.n == 0 && khofmt_systemd_info(sd)->parsed :
			    saw(&s, "SYSD-2") && !khofmt_systemd_info(sd)->parsed,
		   "%d nested arrays: %s", depth[k], k ? "SYSD-2" : "parsed");
		khofmt_systemd_free(sd);
	}
	free(b.p);
}

/* ---- states ---- */

enum fault {
	F_NONE, F_TRUNCATED, F_NOT_JSON, F_UNPRESERVED, F_UNNAMED, F_NO_SESSION,
	F_NO_MAPPING, F_VERSION2, F_SKIPPED, F_SIZE_BEYOND, F_SIZE_SHORT,
	F_FOLIO_LOOP, F_COUNT
};

static const struct { const char *id, *what; } want[F_COUNT] = {
	[F_TRUNCATED] = { "KHO-E221", "mapping cut in half" },
	[F_NOT_JSON] = { "KHO-E221", "mapping of binary bytes" },
	[F_UNPRESERVED] = { "KHO-E224", "a token named but not preserved" },
	[F_UNNAMED] = { "KHO-W226", "a preserved token the mapping does not name" },
	[F_NO_SESSION] = { "KHO-E225", "a luo_session naming no preserved session" },
	[F_NO_MAPPING] = { "KHO-E220", "no token 0" },
	[F_VERSION2] = { "KHO-W222", "mapping version 2" },
	[F_SKIPPED] = { "KHO-E223", "an entry with token 0" },
	/* the next kernel gives a file whose last page is a hole (zeros) */
	[F_SIZE_BEYOND] = { "KHO-E221", "mapping memfd size a page beyond its folios" },
	[F_SIZE_SHORT] = { "KHO-E221", "mapping memfd size half the mapping" },
	[F_FOLIO_LOOP] = { "KHO-E220", "mapping memfd folio array in a loop" },
};

struct world {
	struct state st;
	unsigned ps;
	unsigned char *data[NREF];
	uint64_t size[NREF];
	char *map;
	size_t maplen;
};

static void build(struct world *w, unsigned ps, enum fault f, size_t units)
{
	struct khofmt_enc_opts eo = { .sz = sizeof(eo), .page_shift = ps };
	struct khofmt_enc_luo_file *files;
	struct khofmt_enc_luo_file own = { .token = 5, .size = 0 };
	struct khofmt_enc_luo_session sess[2];
	struct went *e;
	struct khofmt_enc *enc;
	size_t n, i, nf = 0;
	uint64_t seed = ps;

	memset(w, 0, sizeof(*w));
	w->ps = ps;
	/* the reference entries, plus @units more units of one fd each */
	n = NREF + units;
	files = xmalloc((n + 2) * sizeof(*files));
	memset(files, 0, (n + 2) * sizeof(*files));
	e = xmalloc(n * sizeof(*e));
	memcpy(e, ref, sizeof(ref));
	for (i = NREF; i < n; i++) {
		char *u = xmalloc(32);

		snprintf(u, 32, "many-%05zu.service", i);
		e[i] = (struct went){ .unit = u, .name = "state" };
	}
	w->map = write_mapping(e, n, &w->maplen);
	if (f == F_TRUNCATED)
		w->maplen /= 2;
	if (f == F_NOT_JSON)
		for (i = 0; i < w->maplen; i++)
			w->map[i] = (char)splitmix64(&seed);
	if (f == F_VERSION2)
		memcpy(strstr(w->map, "\"version\":1"), "\"version\":2", 11);
	if (f == F_SKIPPED) {
		char *t = strstr(w->map, "\"token\":1}");

		t[8] = '0';
	}
	if (f != F_NO_MAPPING) {
		files[nf].token = 0;
		files[nf].data = w->map;
		files[nf].size = w->maplen;
		files[nf].seals = 0xf;
		nf++;
	}
	for (i = 0; i < n; i++) {
		size_t k = i < NREF ? i : NREF - 1;

		if (e[i].session)
			continue;
		if (f == F_UNPRESERVED && e[i].token == 2)
			continue;
		if (i < NREF) {
			w->size[k] = 1000 + 4321 * k;
			w->data[k] = xmalloc(w->size[k]);
			memset(w->data[k], (int)('a' + k), w->size[k]);
		}
		files[nf].token = e[i].token;
		files[nf].data = w->data[k];
		files[nf].size = w->size[k];
		nf++;
	}
	if (f == F_UNNAMED) {
		files[nf].token = 999;
		files[nf].data = w->data[0];
		files[nf].size = 10;
		nf++;
	}
	sess[0] = (struct khofmt_enc_luo_session){ "systemd", files, nf };
	sess[1] = (struct khofmt_enc_luo_session){ "holder.service/own", &own, 1 };
	CK(khofmt_enc_new(&eo, &enc) == 0, "encoder");
	CK(khofmt_enc_luo(enc, 1, sess, f == F_NO_SESSION ? 1 : 2, NULL, 0) == 0,
	   "enc_luo: %s", khofmt_enc_errmsg(enc));
	CK(state_finish_open(enc, ps, &w->st) == 0, "finish");
	khofmt_enc_free(enc);
	free(files);
	for (i = NREF; i < n; i++)
		free((char *)e[i].unit);
	free(e);
}

static void world_free(struct world *w)
{
	size_t i;

	for (i = 0; i < NREF; i++)
		free(w->data[i]);
	free(w->map);
	state_free(&w->st);
}

static struct khofmt_systemd *open_sd(struct world *w)
{
	struct khofmt_schema_opts o = { .sz = sizeof(o), .page_shift = w->ps };
	const struct khofmt_subnode *sn = khofmt_fdt_subnode_by_name(w->st.fdt, "LUO");
	struct khofmt_systemd *sd = NULL;
	void *blob;
	size_t len;

	CK(sn && khofmt_subnode_blob_read(w->st.src, sn, &blob, &len) == 0, "LUO blob");
	CK(khofmt_systemd_open(w->st.src, blob, len, &o, &sd) == 0 && sd,
	   "systemd_open");
	free(blob);
	return sd;
}

static unsigned char *mem_w(struct world *w, uint64_t pa, size_t n)
{
	const void *p = khofmt_source_ptr(w->st.src, pa, n);

	CK(p, "0x%" PRIx64 " not in the source", pa);
	return (unsigned char *)(uintptr_t)p;
}

static void inject(struct world *w, enum fault f)
{
	struct khofmt_systemd *sd;
	uint64_t rec, chunk;

	if (f != F_SIZE_BEYOND && f != F_SIZE_SHORT && f != F_FOLIO_LOOP)
		return;
	sd = open_sd(w);
	rec = khofmt_systemd_info(sd)->mapping_pa;
	khofmt_systemd_free(sd);
	CK(rec, "mapping record");
	if (f == F_SIZE_BEYOND) {
		/* size (offset 8 of memfd-v2) one page more than the folios hold */
		le64_store(mem_w(w, rec + 8, 8), w->maplen + (U64(1) << w->ps));
	} else if (f == F_SIZE_SHORT) {
		le64_store(mem_w(w, rec + 8, 8), w->maplen / 2);
	} else {
		/* the folio array's first chunk: its next pointer to itself */
		chunk = le64_load(mem_w(w, rec + 32, 8));
		le64_store(mem_w(w, chunk, 8), chunk);
	}
}

static struct khofmt_verify *run(struct world *w)
{
	struct khofmt_verify_opts o = { .sz = sizeof(o), .page_shift = w->ps };
	struct khofmt_verify *v = NULL;

	CK(khofmt_verify_run(w->st.fdt_blob, w->st.fdt_len, w->st.src, &o, &v) == 0,
	   "verify_run");
	return v;
}

static void show(const struct khofmt_verify *v)
{
	size_t i;

	for (i = 0; i < khofmt_verify_nfindings(v); i++) {
		const struct khofmt_finding *f = khofmt_verify_finding(v, i);

		diag("  %s 0x%" PRIx64 " %s", f->rule->id, f->addr, f->message);
	}
}

static void test_clean(unsigned ps, size_t units)
{
	struct world w;
	struct khofmt_verify *v;
	struct khofmt_systemd *sd;
	size_t counts[3], i, good = 0, n;

	build(&w, ps, F_NONE, units);
	v = run(&w);
	khofmt_verify_counts(v, counts);
	/* KHO-W043: the encoder's many order-0 pages, not ours */
	for (i = 0; i < khofmt_verify_nfindings(v); i++)
		if (!strcmp(khofmt_verify_finding(v, i)->rule->id, "KHO-W043"))
			counts[KHOFMT_SEV_WARNING]--;
	if (!ok(counts[KHOFMT_SEV_ERROR] == 0 && counts[KHOFMT_SEV_WARNING] == 0,
		"P=%u KiB, mapping of %zu bytes: verify clean", 1u << (ps - 10),
		w.maplen))
		show(v);
	khofmt_verify_free(v);
	sd = open_sd(&w);
	n = khofmt_systemd_nfds(sd);
	for (i = 0; i < NREF && i < n; i++) {
		const struct khofmt_systemd_fd *f = khofmt_systemd_fd(sd, i);

		if (strcmp(f->unit, ref[i].unit) || strcmp(f->name, ref[i].name) ||
		    !f->preserved || !f->restorable)
			continue;
		if (!ref[i].session && (!f->has_size || f->size != w.size[i] ||
					strcmp(f->compatible, "memfd-v2")))
			continue;
		good++;
	}
	ok(good == NREF && n == NREF + units && !khofmt_systemd_info(sd)->unnamed &&
	   khofmt_systemd_info(sd)->mapping_size == w.maplen,
	   "P=%u KiB: every unit and fd name back, preserved, with its memfd size (%zu/%zu)",
	   1u << (ps - 10), good, NREF);
	khofmt_systemd_free(sd);
	world_free(&w);
}

static void test_fault(unsigned ps, enum fault f)
{
	struct world w;
	struct khofmt_verify *v;
	size_t i, hits = 0, others = 0;

	build(&w, ps, f, 0);
	inject(&w, f);
	v = run(&w);
	for (i = 0; i < khofmt_verify_nfindings(v); i++) {
		const struct khofmt_finding *x = khofmt_verify_finding(v, i);
		const char *id = x->rule->id;

		if (!strcmp(id, want[f].id))
			hits++;
		/* the token the entry lost is now named by no entry */
		else if (f == F_SKIPPED && !strcmp(id, "KHO-W226"))
			continue;
		/* the memory faults also break the memfd (its own rules) */
		else if (x->rule->severity != KHOFMT_SEV_INFO &&
			 !((f == F_SIZE_BEYOND || f == F_FOLIO_LOOP) &&
			   (!strcmp(id, "KHO-E180") || !strcmp(id, "KHO-E182") ||
			    !strcmp(id, "KHO-E183"))))
			others++;
	}
	if (!ok(hits >= 1 && !others, "P=%u KiB, %s: %s and no other error",
		1u << (ps - 10), want[f].what, want[f].id))
		show(v);
	khofmt_verify_free(v);
	world_free(&w);
}

/* The rules exist with their spec cross-references. */
static void test_table(void)
{
	static const char *const ids[] = { "KHO-E220", "KHO-E221", "KHO-W222",
					   "KHO-E223", "KHO-E224", "KHO-E225",
					   "KHO-W226" };
	size_t i;
	char spec[8];

	for (i = 0; i < 7; i++) {
		const struct khofmt_rule *r = khofmt_rule_by_id(ids[i]);

		snprintf(spec, sizeof(spec), "SYSD-%zu", i + 1);
		ok(r && !strcmp(r->spec, spec), "rule %s (%s)", ids[i], spec);
	}
}

int main(void)
{
	static const unsigned pss[] = { 12, 14, 16 };
	size_t i;
	int f;

	test_table();
	test_parse_roundtrip();
	test_real_262();
	test_parse_hostile();
	test_parse_kept();
	test_unit_twice();
	test_depth();
	for (i = 0; i < 3; i++) {
		test_clean(pss[i], 0);
		for (f = F_NONE + 1; f < F_COUNT; f++)
			test_fault(pss[i], (enum fault)f);
	}
	/* a mapping over several pages (several folios) */
	test_clean(12, 600);
	return done_testing();
}
