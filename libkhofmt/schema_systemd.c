// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * systemd's FD store across a live update: the LUO session "systemd".
 *
 * What systemd 262 writes (read from Debian sid's systemd 262.1: the
 * strings of libsystemd-shared/libsystemd-core, and upstream's
 * src/shared/luo-util.c and src/core/luo.c; described here in our words):
 *
 *  - Before the kexec, PID 1 hands systemd-shutdown a JSON list of the fd
 *    stores of the services with FileDescriptorStorePreserve=yes (or
 *    on-success). systemd-shutdown opens /dev/liveupdate, creates ONE
 *    session named "systemd" and preserves the fds in it: tokens are
 *    handed out from 1 upward, in the order of that list, and a token is
 *    only used up by a preserve that succeeded (tokens are dense).
 *  - Token 0 is reserved: a sealed memfd named "luo-mapping" holding the
 *    mapping, compact JSON (no trailing newline, no NUL), the object
 *      { "version": 1,
 *        "state": { ...manager state: kexec count, shutdown timestamps },
 *        "units": { "<unit id>": { "fdstore": [ ENTRY, ... ] }, ... } }
 *    with "state" and "units" optional, and each ENTRY one of
 *      { "type": "fd", "name": "<fd name>", "token": N }   (N >= 1)
 *      { "type": "luo_session", "name": "<fd name>",
 *        "sessionName": "<the service's own LUO session>" }
 *    The second kind stands for a stored fd that is itself a LUO session:
 *    sessions do not nest, so it crosses the kexec on its own and is only
 *    named here.
 *  - The next PID 1 retrieves session "systemd", reads token 0 and parses
 *    it. It restores nothing when the mapping cannot be read or parsed,
 *    when "version" is missing or not an unsigned integer, when "state" or
 *    "units" is not an object, or when a key it dispatches is duplicated;
 *    it restores nothing either (by design) when version > 1. It skips a
 *    unit whose id is not a valid unit name or whose "fdstore" is not an
 *    array, and an entry that is not an object, lacks a string "type" or
 *    "name", has a duplicated field, a type "fd" without a token or with
 *    token 0, a "luo_session" without "sessionName", or an unknown type.
 *    Then it finishes the session: a preserved token that no entry names
 *    is dropped with it.
 *
 * The JSON is parsed by a small strict RFC 8259 parser below, not by a
 * library: tokens are unsigned 64-bit (json-c and jansson stop at
 * INT64_MAX), systemd's reader treats duplicate keys differently per level
 * (fatal in the top object, the entry dropped in an entry, allowed among
 * unit ids) which needs every member, and libkhofmt stays without a JSON
 * dependency (it is linked statically into kexec). Limits: depth 2048 (a mapping needs 5),
 * KHOFMT_SYSTEMD_MAPPING_MAX bytes; every node and string lives in arrays
 * bounded by the text length.
 */
#include <stdio.h>
#include <stdlib.h>

#include "schema_int.h"

#define MAX_DEPTH 2048
/* shown in messages: names are cut and made printable */
#define SHOW_LEN 64

enum jt { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ };

struct jn {
	unsigned char t;
	bool uint_ok;      /* J_NUM: an integer in [0, 2^64) */
	uint32_t next;     /* next sibling + 1, 0 = none */
	uint32_t child;    /* first child + 1 (arrays, objects) */
	uint32_t key;      /* object member: key offset in the pool */
	uint32_t str;      /* J_STR: value offset in the pool */
	uint64_t u;        /* J_NUM with uint_ok */
};

struct jp {
	const unsigned char *p;
	size_t len, pos;
	struct jn *n;
	size_t nn, cap;
	char *pool;        /* NUL-terminated strings; offset 0 is "" */
	size_t pl, pcap;
	char err[96];
	size_t err_at;
	bool nomem;
};

struct khofmt_systemd {
	struct khofmt_systemd_info info;
	struct khofmt_systemd_fd *fd;
	size_t nfd, capfd;
	char *strings;     /* the parser's pool, kept for the fds' names */
};

/* ---- the JSON parser ---- */

static int jerr(struct jp *j, const char *what)
{
	if (!j->err[0]) {
		snprintf(j->err, sizeof(j->err), "%s", what);
		j->err_at = j->pos;
	}
	return -1;
}

static void ws(struct jp *j)
{
	while (j->pos < j->len && (j->p[j->pos] == ' ' || j->p[j->pos] == '\t' ||
				   j->p[j->pos] == '\n' || j->p[j->pos] == '\r'))
		j->pos++;
}

static long node_new(struct jp *j, enum jt t)
{
	if (j->nn == j->cap) {
		void *p = j->nn >= UINT32_MAX - 1 ? NULL :
			  khofmt_grow(j->n, &j->cap, (size_t)j->nn + 1, sizeof(*j->n));

		if (!p) {
			j->nomem = true;
			return jerr(j, "out of memory");
		}
		j->n = p;
	}
	memset(&j->n[j->nn], 0, sizeof(j->n[0]));
	j->n[j->nn].t = (unsigned char)t;
	return (long)j->nn++;
}

static void pool_put(struct jp *j, unsigned char c)
{
	/* the pool is sized for the whole text up front: cannot overflow */
	if (j->pl < j->pcap)
		j->pool[j->pl++] = (char)c;
}

static void put_utf8(struct jp *j, uint32_t cp)
{
	if (cp < 0x80) {
		pool_put(j, (unsigned char)cp);
	} else if (cp < 0x800) {
		pool_put(j, (unsigned char)(0xc0 | cp >> 6));
		pool_put(j, (unsigned char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		pool_put(j, (unsigned char)(0xe0 | cp >> 12));
		pool_put(j, (unsigned char)(0x80 | ((cp >> 6) & 0x3f)));
		pool_put(j, (unsigned char)(0x80 | (cp & 0x3f)));
	} else {
		pool_put(j, (unsigned char)(0xf0 | cp >> 18));
		pool_put(j, (unsigned char)(0x80 | ((cp >> 12) & 0x3f)));
		pool_put(j, (unsigned char)(0x80 | ((cp >> 6) & 0x3f)));
		pool_put(j, (unsigned char)(0x80 | (cp & 0x3f)));
	}
}

static int hex4(struct jp *j, uint32_t *v)
{
	unsigned i;

	*v = 0;
	if (j->len - j->pos < 4)
		return jerr(j, "truncated \\u escape");
	for (i = 0; i < 4; i++) {
		unsigned char c = j->p[j->pos++];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			*v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			*v |= c - 'A' + 10;
		else
			return jerr(j, "bad \\u escape");
	}
	return 0;
}

/* A string at j->pos (the opening quote); its pool offset in *off. */
static int jstring(struct jp *j, uint32_t *off)
{
	*off = (uint32_t)j->pl;
	j->pos++;
	for (;;) {
		unsigned char c;

		if (j->pos >= j->len)
			return jerr(j, "unterminated string");
		c = j->p[j->pos];
		if (c == '"') {
			j->pos++;
			pool_put(j, 0);
			return 0;
		}
		if (c < 0x20)
			return jerr(j, "control character in a string");
		if (c == '\\') {
			uint32_t cp, lo;

			if (++j->pos >= j->len)
				return jerr(j, "unterminated string");
			c = j->p[j->pos++];
			switch (c) {
			case '"': case '\\': case '/': pool_put(j, c); break;
			case 'b': pool_put(j, '\b'); break;
			case 'f': pool_put(j, '\f'); break;
			case 'n': pool_put(j, '\n'); break;
			case 'r': pool_put(j, '\r'); break;
			case 't': pool_put(j, '\t'); break;
			case 'u':
				if (hex4(j, &cp))
					return -1;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return jerr(j, "lone low surrogate");
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (j->len - j->pos < 6 || j->p[j->pos] != '\\' ||
					    j->p[j->pos + 1] != 'u')
						return jerr(j, "lone high surrogate");
					j->pos += 2;
					if (hex4(j, &lo))
						return -1;
					if (lo < 0xdc00 || lo > 0xdfff)
						return jerr(j, "bad surrogate pair");
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				}
				if (cp == 0)
					return jerr(j, "\\u0000 in a string");
				put_utf8(j, cp);
				break;
			default:
				return jerr(j, "bad escape");
			}
			continue;
		}
		if (c < 0x80) {
			pool_put(j, c);
			j->pos++;
		} else {
			/* khofmt_utf8_len() stops at a NUL: copy the sequence */
			char seq[5] = { 0 };
			size_t n = j->len - j->pos < 4 ? j->len - j->pos : 4, k;

			memcpy(seq, j->p + j->pos, n);
			k = khofmt_utf8_len(seq);
			if (!k)
				return jerr(j, "invalid UTF-8 in a string");
			for (n = 0; n < k; n++)
				pool_put(j, j->p[j->pos++]);
		}
	}
}

static int jnumber(struct jp *j, struct jn *n)
{
	size_t s = j->pos;
	bool neg = false, frac = false, over = false;
	uint64_t u = 0;

	if (j->p[j->pos] == '-') {
		neg = true;
		j->pos++;
	}
	if (j->pos >= j->len || j->p[j->pos] < '0' || j->p[j->pos] > '9')
		return jerr(j, "bad number");
	if (j->p[j->pos] == '0' && j->pos + 1 < j->len &&
	    j->p[j->pos + 1] >= '0' && j->p[j->pos + 1] <= '9')
		return jerr(j, "number with a leading zero");
	while (j->pos < j->len && j->p[j->pos] >= '0' && j->p[j->pos] <= '9') {
		unsigned d = j->p[j->pos++] - '0';

		if (u > (UINT64_MAX - d) / 10)
			over = true;
		u = u * 10 + d;
	}
	if (j->pos < j->len && j->p[j->pos] == '.') {
		frac = true;
		if (++j->pos >= j->len || j->p[j->pos] < '0' || j->p[j->pos] > '9')
			return jerr(j, "bad fraction");
		while (j->pos < j->len && j->p[j->pos] >= '0' && j->p[j->pos] <= '9')
			j->pos++;
	}
	if (j->pos < j->len && (j->p[j->pos] == 'e' || j->p[j->pos] == 'E')) {
		frac = true;
		j->pos++;
		if (j->pos < j->len && (j->p[j->pos] == '+' || j->p[j->pos] == '-'))
			j->pos++;
		if (j->pos >= j->len || j->p[j->pos] < '0' || j->p[j->pos] > '9')
			return jerr(j, "bad exponent");
		while (j->pos < j->len && j->p[j->pos] >= '0' && j->p[j->pos] <= '9')
			j->pos++;
	}
	(void)s;
	n->uint_ok = !neg && !frac && !over;
	n->u = n->uint_ok ? u : 0;
	return 0;
}

static int jlit(struct jp *j, const char *w)
{
	size_t l = strlen(w);

	if (j->len - j->pos < l || memcmp(j->p + j->pos, w, l))
		return jerr(j, "unexpected character");
	j->pos += l;
	return 0;
}

/* A value at j->pos; its node index in *out. */
static int jvalue(struct jp *j, unsigned depth, long *out)
{
	long me, prev = -1;
	unsigned char c;

	ws(j);
	if (j->pos >= j->len)
		return jerr(j, "unexpected end");
	if (depth > MAX_DEPTH)
		return jerr(j, "nested deeper than 2048");
	c = j->p[j->pos];
	switch (c) {
	case '{':
	case '[':
		me = node_new(j, c == '{' ? J_OBJ : J_ARR);
		if (me < 0)
			return -1;
		j->pos++;
		ws(j);
		if (j->pos < j->len && j->p[j->pos] == (c == '{' ? '}' : ']')) {
			j->pos++;
			*out = me;
			return 0;
		}
		for (;;) {
			uint32_t key = 0;
			long v;

			if (c == '{') {
				ws(j);
				if (j->pos >= j->len)
					return jerr(j, "unexpected end");
				if (j->p[j->pos] != '"')
					return jerr(j, "expected a key");
				if (jstring(j, &key))
					return -1;
				ws(j);
				if (j->pos >= j->len || j->p[j->pos] != ':')
					return jerr(j, "expected ':'");
				j->pos++;
			}
			if (jvalue(j, depth + 1, &v))
				return -1;
			j->n[v].key = key;
			if (prev < 0)
				j->n[me].child = (uint32_t)v + 1;
			else
				j->n[prev].next = (uint32_t)v + 1;
			prev = v;
			ws(j);
			if (j->pos >= j->len)
				return jerr(j, "unexpected end");
			if (j->p[j->pos] == ',') {
				j->pos++;
				continue;
			}
			if (j->p[j->pos] == (c == '{' ? '}' : ']')) {
				j->pos++;
				*out = me;
				return 0;
			}
			return jerr(j, c == '{' ? "expected ',' or '}'" :
					      "expected ',' or ']'");
		}
	case '"':
		me = node_new(j, J_STR);
		if (me < 0)
			return -1;
		if (jstring(j, &j->n[me].str))
			return -1;
		*out = me;
		return 0;
	case 't':
		me = node_new(j, J_TRUE);
		*out = me;
		return me < 0 ? -1 : jlit(j, "true");
	case 'f':
		me = node_new(j, J_FALSE);
		*out = me;
		return me < 0 ? -1 : jlit(j, "false");
	case 'n':
		me = node_new(j, J_NULL);
		*out = me;
		return me < 0 ? -1 : jlit(j, "null");
	default:
		if (c != '-' && (c < '0' || c > '9'))
			return jerr(j, "unexpected character");
		me = node_new(j, J_NUM);
		if (me < 0)
			return -1;
		*out = me;
		return jnumber(j, &j->n[me]);
	}
}

/* Parse the whole text; 0 with the root node at index 0, or -1 (j->err). */
static int jparse(struct jp *j, const void *text, size_t len)
{
	long root;

	memset(j, 0, sizeof(*j));
	j->p = text;
	j->len = len;
	j->pcap = len + 1;
	j->pool = malloc(j->pcap);
	if (!j->pool) {
		j->nomem = true;
		return jerr(j, "out of memory");
	}
	pool_put(j, 0);	/* offset 0: "" (array elements have no key) */
	if (jvalue(j, 0, &root))
		return -1;
	ws(j);
	if (j->pos != j->len)
		return jerr(j, "data after the JSON value");
	return 0;
}

static void jfree(struct jp *j)
{
	free(j->n);
	free(j->pool);
}

static const struct jn *jchild(const struct jp *j, const struct jn *n)
{
	return n->child ? &j->n[n->child - 1] : NULL;
}

static const struct jn *jnext(const struct jp *j, const struct jn *n)
{
	return n->next ? &j->n[n->next - 1] : NULL;
}

/* First member @key of object @o and how many there are. */
static const struct jn *jget(const struct jp *j, const struct jn *o,
			     const char *key, unsigned *count)
{
	const struct jn *m, *first = NULL;

	*count = 0;
	if (!o || o->t != J_OBJ)
		return NULL;
	for (m = jchild(j, o); m; m = jnext(j, m))
		if (!strcmp(j->pool + m->key, key)) {
			if (!first)
				first = m;
			++*count;
		}
	return first;
}

/* ---- the decoded object ---- */

/* @s cut and made printable for a message. */
static const char *show(const char *s, char buf[SHOW_LEN + 4])
{
	size_t i;

	for (i = 0; s[i] && i < SHOW_LEN; i++)
		buf[i] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ?
			 s[i] : '?';
	if (s[i]) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = 0;
	return buf;
}

static struct khofmt_systemd_fd *fd_add(struct khofmt_systemd *sd)
{
	struct khofmt_systemd_fd *f;
	void *p = khofmt_grow(sd->fd, &sd->capfd, sd->nfd + 1, sizeof(*sd->fd));

	if (!p)
		return NULL;
	sd->fd = p;
	f = &sd->fd[sd->nfd++];
	memset(f, 0, sizeof(*f));
	f->unit = "";
	f->name = "";
	f->type_name = "";
	return f;
}

static const char *const unit_types[] = {
	"service", "socket", "target", "device", "mount", "automount", "swap",
	"timer", "path", "slice", "scope",
};

/*
 * systemd's unit_name_is_valid(UNIT_NAME_ANY) as far as it matters here:
 * 1..255 bytes of [A-Za-z0-9:_.\\-] and one optional '@' (not first),
 * a non-empty prefix, and a known unit type after the last '.'.
 */
static bool unit_name_valid(const char *s)
{
	const char *dot, *at;
	size_t i, len;

	if (!s)
		return false;
	len = strlen(s);
	if (len == 0 || len > 255)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr(":-_.\\@", c)))
			return false;
	}
	dot = strrchr(s, '.');
	if (!dot || dot == s)
		return false;
	at = strchr(s, '@');
	if (at && (at == s || strchr(at + 1, '@') || at > dot))
		return false;
	for (i = 0; i < sizeof(unit_types) / sizeof(unit_types[0]); i++)
		if (!strcmp(dot + 1, unit_types[i]))
			return true;
	return false;
}

#define SKIP(sd, o, pa, ...) \
	WARN(o, "SYSD-4", KHOFMT_ERR_STRUCT, pa, __VA_ARGS__)

/* One entry of a unit's "fdstore". */
static int decode_entry(struct khofmt_systemd *sd, const struct jp *j,
			const struct jn *e, const char *unit, bool unit_ok,
			size_t idx, const struct khofmt_schema_opts *o,
			uint64_t pa)
{
	static const char *const fields[] = { "type", "name", "token",
					      "sessionName" };
	const struct jn *type, *name, *tok, *sess;
	struct khofmt_systemd_fd *f = fd_add(sd);
	char b1[SHOW_LEN + 4], b2[SHOW_LEN + 4], b3[SHOW_LEN + 4];
	unsigned n, i;

	if (!f)
		return -KHOFMT_ERR_NOMEM;
	f->unit = unit;
	f->index = idx;
	f->restorable = unit_ok;
	if (e->t != J_OBJ) {
		f->restorable = false;
		if (unit_ok)
			SKIP(sd, o, pa, "unit %s: fdstore entry %zu is not an object: skipped",
			     show(unit, b1), idx);
		return 0;
	}
	type = jget(j, e, "type", &n);
	if (type && type->t == J_STR)
		f->type_name = j->pool + type->str;
	name = jget(j, e, "name", &n);
	if (name && name->t == J_STR)
		f->name = j->pool + name->str;
	tok = jget(j, e, "token", &n);
	if (tok && tok->t == J_NUM && tok->uint_ok) {
		f->has_token = true;
		f->token = tok->u;
	}
	sess = jget(j, e, "sessionName", &n);
	if (sess && sess->t == J_STR)
		f->session_name = j->pool + sess->str;
	if (!strcmp(f->type_name, "fd"))
		f->type = KHOFMT_SYSTEMD_TYPE_FD;
	else if (!strcmp(f->type_name, "luo_session"))
		f->type = KHOFMT_SYSTEMD_TYPE_LUO_SESSION;
	if (!unit_ok)
		return 0;	/* the unit was reported once */
	for (i = 0; i < 4; i++) {
		jget(j, e, fields[i], &n);
		if (n > 1) {
			f->restorable = false;
			return SKIP(sd, o, pa, "unit %s fd %s: field \"%s\" given %u times: skipped",
				    show(unit, b1), show(f->name, b2), fields[i], n);
		}
	}
	if (!type || type->t != J_STR || !name || name->t != J_STR) {
		f->restorable = false;
		return SKIP(sd, o, pa, "unit %s: fdstore entry %zu lacks a string \"type\" or \"name\": skipped",
			    show(unit, b1), idx);
	}
	if ((tok && !f->has_token) || (sess && sess->t != J_STR)) {
		f->restorable = false;
		return SKIP(sd, o, pa, "unit %s fd %s: %s is not %s: skipped",
			    show(unit, b1), show(f->name, b2),
			    tok && !f->has_token ? "token" : "sessionName",
			    tok && !f->has_token ? "an unsigned 64-bit integer" :
						   "a string");
	}
	switch (f->type) {
	case KHOFMT_SYSTEMD_TYPE_FD:
		if (!f->has_token) {
			f->restorable = false;
			return SKIP(sd, o, pa, "unit %s fd %s: type fd without a token: skipped",
				    show(unit, b1), show(f->name, b2));
		}
		if (f->token == 0) {
			f->restorable = false;
			return SKIP(sd, o, pa, "unit %s fd %s: token 0 is the mapping's own: skipped",
				    show(unit, b1), show(f->name, b2));
		}
		break;
	case KHOFMT_SYSTEMD_TYPE_LUO_SESSION:
		if (!f->session_name) {
			f->restorable = false;
			return SKIP(sd, o, pa, "unit %s fd %s: luo_session without sessionName: skipped",
				    show(unit, b1), show(f->name, b2));
		}
		break;
	default:
		f->restorable = false;
		return SKIP(sd, o, pa, "unit %s fd %s: unknown type \"%s\": skipped",
			    show(unit, b1), show(f->name, b2), show(f->type_name, b3));
	}
	return 0;
}

static int cmp_tok(const void *a, const void *b)
{
	const struct khofmt_systemd_fd *const *x = a, *const *y = b;

	return (*x)->token < (*y)->token ? -1 : (*x)->token > (*y)->token;
}

/* The same token named twice: the second retrieve fails. */
static int check_dup_tokens(struct khofmt_systemd *sd,
			    const struct khofmt_schema_opts *o, uint64_t pa)
{
	struct khofmt_systemd_fd **v;
	char b1[SHOW_LEN + 4], b2[SHOW_LEN + 4];
	size_t i, n = 0;

	v = malloc((sd->nfd ? sd->nfd : 1) * sizeof(*v));
	if (!v)
		return -KHOFMT_ERR_NOMEM;
	for (i = 0; i < sd->nfd; i++)
		if (sd->fd[i].restorable && sd->fd[i].type == KHOFMT_SYSTEMD_TYPE_FD)
			v[n++] = &sd->fd[i];
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_tok);
	for (i = 1; i < n; i++)
		if (v[i]->token == v[i - 1]->token) {
			/* the later entry in the mapping loses */
			struct khofmt_systemd_fd *f = v[i] > v[i - 1] ? v[i] : v[i - 1];

			f->restorable = false;
			SKIP(sd, o, pa, "unit %s fd %s: token %llu is named twice: the second retrieve fails",
			     show(f->unit, b1), show(f->name, b2),
			     (unsigned long long)f->token);
		}
	free(v);
	return 0;
}

static int decode(struct khofmt_systemd *sd, const struct jp *j,
		  const struct khofmt_schema_opts *o, uint64_t pa)
{
	const struct jn *root = &j->n[0], *ver, *state, *units, *u;
	char b1[SHOW_LEN + 4];
	unsigned n, nv, ns, nu;
	int r;

	if (root->t != J_OBJ)
		return WARN(o, "SYSD-2", KHOFMT_ERR_STRUCT, pa,
			    "systemd mapping: the JSON value is not an object");
	ver = jget(j, root, "version", &nv);
	state = jget(j, root, "state", &ns);
	units = jget(j, root, "units", &nu);
	if (nv > 1 || ns > 1 || nu > 1)
		return WARN(o, "SYSD-2", KHOFMT_ERR_STRUCT, pa,
			    "systemd mapping: \"%s\" given more than once (the reader refuses duplicate fields)",
			    nv > 1 ? "version" : ns > 1 ? "state" : "units");
	if (!ver || ver->t != J_NUM || !ver->uint_ok)
		return WARN(o, "SYSD-2", KHOFMT_ERR_STRUCT, pa,
			    "systemd mapping: \"version\" is %s",
			    ver ? "not an unsigned integer" : "missing");
	if ((state && state->t != J_OBJ) || (units && units->t != J_OBJ))
		return WARN(o, "SYSD-2", KHOFMT_ERR_STRUCT, pa,
			    "systemd mapping: \"%s\" is not an object",
			    state && state->t != J_OBJ ? "state" : "units");
	sd->info.version = ver->u;
	sd->info.has_state = state != NULL;
	sd->info.parsed = true;
	if (ver->u > KHOFMT_SYSTEMD_VERSION)
		WARN(o, "SYSD-3", KHOFMT_ERR_COMPAT, pa,
		     "systemd mapping version %llu: a systemd reading version %u restores nothing",
		     (unsigned long long)ver->u, KHOFMT_SYSTEMD_VERSION);
	for (u = units ? jchild(j, units) : NULL; u; u = jnext(j, u)) {
		const char *unit = j->pool + u->key;
		bool ok = ver->u <= KHOFMT_SYSTEMD_VERSION;
		const struct jn *fs = jget(j, u, "fdstore", &n), *e;
		size_t idx = 0;

		sd->info.units++;
		if (ok && !unit_name_valid(unit)) {
			SKIP(sd, o, pa, "unit id \"%s\" is not a valid unit name: its fds are skipped",
			     show(unit, b1));
			ok = false;
		}
		if (!fs || fs->t != J_ARR) {
			if (ok)
				SKIP(sd, o, pa, "unit %s: \"fdstore\" is %s: skipped",
				     show(unit, b1), fs ? "not an array" : "missing");
			continue;
		}
		for (e = jchild(j, fs); e; e = jnext(j, e)) {
			r = decode_entry(sd, j, e, unit, ok, idx++, o, pa);
			if (r == -KHOFMT_ERR_NOMEM)
				return r;
		}
	}
	return check_dup_tokens(sd, o, pa);
}

static int parse_at(const void *text, size_t len,
		    const struct khofmt_schema_opts *opts, uint64_t pa,
		    struct khofmt_systemd **out)
{
	struct khofmt_systemd *sd;
	struct jp j;
	int r;

	if ((!text && len) || !out)
		return -KHOFMT_ERR_INVAL;
	*out = NULL;
	sd = calloc(1, sizeof(*sd));
	if (!sd)
		return -KHOFMT_ERR_NOMEM;
	sd->info.mapping_size = len;
	if (len > KHOFMT_SYSTEMD_MAPPING_MAX) {
		WARN(opts, "SYSD-2", KHOFMT_ERR_LIMIT, pa,
		     "systemd mapping: %zu bytes, more than this decoder reads (%u)",
		     len, KHOFMT_SYSTEMD_MAPPING_MAX);
		*out = sd;
		return 0;
	}
	if (jparse(&j, text ? text : "", len)) {
		if (j.nomem) {
			jfree(&j);
			free(sd);
			return -KHOFMT_ERR_NOMEM;
		}
		WARN(opts, "SYSD-2", KHOFMT_ERR_STRUCT, pa,
		     "systemd mapping does not parse as JSON: %s at byte %zu",
		     j.err, j.err_at);
		jfree(&j);
		*out = sd;
		return 0;
	}
	r = decode(sd, &j, opts, pa);
	free(j.n);
	sd->strings = j.pool;	/* the fds point into it */
	if (r == -KHOFMT_ERR_NOMEM) {
		khofmt_systemd_free(sd);
		return r;
	}
	*out = sd;
	return 0;
}

int khofmt_systemd_parse(const void *text, size_t len,
			 const struct khofmt_schema_opts *opts,
			 struct khofmt_systemd **out)
{
	return parse_at(text, len, opts, 0, out);
}

/* ---- from a LUO state ---- */

struct lfile {
	uint64_t token, pa, data;
	char compatible[49];
};

struct lstate {
	char **names;           /* every session's name */
	size_t nnames, capnames;
	struct lfile *f;        /* the files of session "systemd" */
	size_t nf, capf;
	uint64_t session_pa;
	bool found;
};

static void lstate_free(struct lstate *l)
{
	size_t i;

	for (i = 0; i < l->nnames; i++)
		free(l->names[i]);
	free(l->names);
	free(l->f);
}

/* Walk the LUO sessions (quietly: the LUO rules tell their faults). */
static int walk_luo(struct khofmt_source *src, const void *blob, size_t len,
		    unsigned ps, struct lstate *l)
{
	struct khofmt_schema_opts q = { .sz = sizeof(q), .page_shift = ps };
	struct khofmt_luo *luo;
	struct khofmt_luo_session s;
	struct khofmt_luo_file f;
	int r;

	r = khofmt_luo_open(src, blob, len, &q, &luo);
	if (r)
		return r;
	while ((r = khofmt_luo_session_next(luo, &s)) == 0) {
		bool mine = !l->found && !strcmp(s.name, KHOFMT_SYSTEMD_SESSION);
		void *p = khofmt_grow(l->names, &l->capnames, l->nnames + 1,
				      sizeof(*l->names));

		if (!p || !(((char **)p)[l->nnames] = strdup(s.name))) {
			if (p)
				l->names = p;
			r = -KHOFMT_ERR_NOMEM;
			break;
		}
		l->names = p;
		l->nnames++;
		if (!mine)
			continue;
		l->found = true;
		l->session_pa = s.pa;
		while ((r = khofmt_luo_file_next(luo, &s, &f)) == 0) {
			p = khofmt_grow(l->f, &l->capf, l->nf + 1, sizeof(*l->f));
			if (!p) {
				r = -KHOFMT_ERR_NOMEM;
				break;
			}
			l->f = p;
			l->f[l->nf].token = f.token;
			l->f[l->nf].pa = f.pa;
			l->f[l->nf].data = f.data;
			memcpy(l->f[l->nf].compatible, f.compatible,
			       sizeof(l->f[0].compatible));
			l->nf++;
		}
		if (r < 0)
			break;
		r = 0;
	}
	khofmt_luo_free(luo);
	return r < 0 ? r : 0;
}

struct mfol {
	uint64_t index, phys;
};

static int cmp_mfol(const void *a, const void *b)
{
	const struct mfol *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * The bytes of a memfd, from its folios: each folio covers the file from
 * its index to the next folio's (the tracker holds the real order; this
 * is what a dense file has). -KHOFMT_ERR_* on any gap or unreadable page.
 */
static int memfd_content(struct khofmt_source *src, const struct lfile *lf,
			 unsigned ps, void **buf, uint64_t *size,
			 char *why, size_t whylen)
{
	struct khofmt_schema_opts q = { .sz = sizeof(q), .page_shift = ps };
	uint64_t P = UINT64_C(1) << ps, done = 0;
	struct khofmt_memfd m;
	struct khofmt_memfd_folio fo;
	struct mfol *v = NULL;
	size_t n = 0, cap = 0, i;
	unsigned char *b = NULL;
	int r;

	*buf = NULL;
	r = khofmt_memfd_open(src, lf->data, lf->compatible, &q, &m);
	if (r) {
		snprintf(why, whylen, "its memfd record does not decode (%s)",
			 khofmt_strerror(r));
		return r;
	}
	*size = m.size;
	if (m.size > KHOFMT_SYSTEMD_MAPPING_MAX) {
		snprintf(why, whylen, "%llu bytes, more than this decoder reads (%u)",
			 (unsigned long long)m.size, KHOFMT_SYSTEMD_MAPPING_MAX);
		return -KHOFMT_ERR_LIMIT;
	}
	/* the kernel restores the whole folio array before the file */
	if (m.nr_folios) {
		struct khofmt_vmalloc_iter it;
		uint64_t pa, len;

		r = khofmt_vmalloc_iter_init(&it, src, &m.folios, &q);
		while (!r && (r = khofmt_vmalloc_run_next(&it, &pa, &len)) == 0)
			;
		if (r < 0) {
			snprintf(why, whylen, "its folio array does not restore (%s)",
				 khofmt_strerror(r));
			return r;
		}
	}
	while ((r = khofmt_memfd_folio_next(&m, &fo)) == 0) {
		void *p;

		if (!fo.pfn)
			continue;
		p = khofmt_grow(v, &cap, n + 1, sizeof(*v));
		if (!p) {
			khofmt_memfd_close(&m);
			r = -KHOFMT_ERR_NOMEM;
			goto out;
		}
		v = p;
		v[n].index = fo.index;
		v[n++].phys = fo.phys;
	}
	if (r < 0) {
		snprintf(why, whylen, "its folio array does not decode (%s)",
			 khofmt_strerror(r));
		goto out;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_mfol);
	b = malloc(m.size ? (size_t)m.size : 1);
	if (!b) {
		r = -KHOFMT_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n && done < m.size; i++) {
		uint64_t start = v[i].index * P, end;

		if (v[i].index > m.size / P || start != done) {
			r = -KHOFMT_ERR_STRUCT;
			snprintf(why, whylen, "no folio holds file byte %llu",
				 (unsigned long long)done);
			goto out;
		}
		end = i + 1 < n && v[i + 1].index <= m.size / P ?
		      v[i + 1].index * P : m.size;
		if (end > m.size)
			end = m.size;
		if (end <= start)
			continue;	/* a repeated index: MFD-1 tells it */
		r = khofmt_source_read(src, v[i].phys, b + done, (size_t)(end - start));
		if (r < 0) {
			snprintf(why, whylen, "folio 0x%llx is not in the memory source",
				 (unsigned long long)v[i].phys);
			goto out;
		}
		done = end;
	}
	if (done != m.size) {
		r = -KHOFMT_ERR_TRUNCATED;
		snprintf(why, whylen, "its folios hold %llu of %llu bytes",
			 (unsigned long long)done, (unsigned long long)m.size);
		goto out;
	}
	*buf = b;
	b = NULL;
	r = 0;
out:
	free(v);
	free(b);
	return r;
}

static int cmp_lfile(const void *a, const void *b)
{
	const struct lfile *x = a, *y = b;

	return x->token < y->token ? -1 : x->token > y->token;
}

static const struct lfile *find_token(const struct lstate *l, uint64_t t)
{
	struct lfile key = { .token = t };

	return l->nf ? bsearch(&key, l->f, l->nf, sizeof(*l->f), cmp_lfile) : NULL;
}

static void resolve_file(struct khofmt_source *src, unsigned ps,
			 struct khofmt_systemd_fd *f, const struct lfile *lf)
{
	struct khofmt_schema_opts q = { .sz = sizeof(q), .page_shift = ps };
	struct khofmt_memfd m;

	f->preserved = true;
	f->file_pa = lf->pa;
	f->data = lf->data;
	memcpy(f->compatible, lf->compatible, sizeof(f->compatible));
	if (khofmt_schema_is_memfd(lf->compatible) &&
	    khofmt_memfd_open(src, lf->data, lf->compatible, &q, &m) == 0) {
		f->has_size = true;
		f->size = m.size;
		khofmt_memfd_close(&m);
	}
}

/* Cross-check the mapping against the session's files and sessions. */
static int resolve(struct khofmt_systemd *sd, struct khofmt_source *src,
		   unsigned ps, struct lstate *l,
		   const struct khofmt_schema_opts *o)
{
	char b1[SHOW_LEN + 4], b2[SHOW_LEN + 4], b3[SHOW_LEN + 4];
	size_t i, j, nmapped = sd->nfd;
	struct pageset named;
	int r = 0;

	khofmt_pageset_init(&named);
	for (i = 0; i < nmapped; i++) {
		struct khofmt_systemd_fd *f = &sd->fd[i];

		if (f->type == KHOFMT_SYSTEMD_TYPE_FD && f->has_token) {
			const struct lfile *lf = find_token(l, f->token);

			if (khofmt_pageset_add(&named, f->token) < 0) {
				r = -KHOFMT_ERR_NOMEM;
				break;
			}
			if (lf && f->token)
				resolve_file(src, ps, f, lf);
			else if (f->restorable)
				WARN(o, "SYSD-5", KHOFMT_ERR_STRUCT, sd->info.mapping_pa,
				     "unit %s fd %s: token %llu is not preserved in session \"systemd\": the fd is lost",
				     show(f->unit, b1), show(f->name, b2),
				     (unsigned long long)f->token);
		} else if (f->type == KHOFMT_SYSTEMD_TYPE_LUO_SESSION &&
			   f->session_name) {
			for (j = 0; j < l->nnames; j++)
				if (!strcmp(l->names[j], f->session_name))
					break;
			f->preserved = j < l->nnames &&
				       strcmp(f->session_name, KHOFMT_SYSTEMD_SESSION);
			if (f->restorable && !f->preserved)
				WARN(o, "SYSD-6", KHOFMT_ERR_STRUCT, sd->info.mapping_pa,
				     "unit %s fd %s: LUO session \"%s\" %s: the fd is lost",
				     show(f->unit, b1), show(f->name, b2),
				     show(f->session_name, b3),
				     j < l->nnames ? "is systemd's own session" :
						     "is not preserved");
		}
	}
	/* preserved tokens no entry names (token 0 is the mapping) */
	for (i = 0; !r && i < l->nf; i++) {
		struct khofmt_systemd_fd *f;
		int k;

		if (l->f[i].token == 0 || (i && l->f[i].token == l->f[i - 1].token))
			continue;
		k = khofmt_pageset_add(&named, l->f[i].token);
		if (k < 0) {
			r = -KHOFMT_ERR_NOMEM;
			break;
		}
		if (k == 0)
			continue;
		f = fd_add(sd);
		if (!f) {
			r = -KHOFMT_ERR_NOMEM;
			break;
		}
		f->type = KHOFMT_SYSTEMD_TYPE_FD;
		f->type_name = "fd";
		f->has_token = true;
		f->token = l->f[i].token;
		f->unnamed = true;
		resolve_file(src, ps, f, &l->f[i]);
		sd->info.unnamed++;
		if (sd->info.parsed)
			WARN(o, "SYSD-7", KHOFMT_ERR_STRUCT, l->f[i].pa,
			     "token %llu is preserved in session \"systemd\" but the mapping names it for no unit: dropped when the session is finished",
			     (unsigned long long)l->f[i].token);
	}
	khofmt_pageset_free(&named);
	return r;
}

int khofmt_systemd_open(struct khofmt_source *src, const void *luo_blob,
			size_t len, const struct khofmt_schema_opts *opts,
			struct khofmt_systemd **out)
{
	struct khofmt_schema_opts o = { .sz = sizeof(o) };
	struct khofmt_systemd *sd = NULL;
	struct lstate l;
	const struct lfile *map;
	uint64_t size = 0;
	void *text = NULL;
	char why[128] = "";
	unsigned ps;
	int r;

	if (!src || !luo_blob || !out)
		return -KHOFMT_ERR_INVAL;
	*out = NULL;
	if (opts && opts->sz >= sizeof(o))
		o = *opts;
	o.sz = sizeof(o);
	ps = khofmt_schema_ps(&o);
	if (!ps)
		return -KHOFMT_ERR_INVAL;
	memset(&l, 0, sizeof(l));
	r = walk_luo(src, luo_blob, len, ps, &l);
	if (r)
		goto out;
	if (!l.found) {
		r = 1;
		goto out;
	}
	if (l.nf > 1)
		qsort(l.f, l.nf, sizeof(*l.f), cmp_lfile);
	map = find_token(&l, 0);
	if (!map) {
		WARN(&o, "SYSD-1", KHOFMT_ERR_STRUCT, l.session_pa,
		     "session \"systemd\" has no token 0 (the mapping): systemd restores no fd from it");
	} else if (!khofmt_schema_is_memfd(map->compatible)) {
		WARN(&o, "SYSD-1", KHOFMT_ERR_COMPAT, map->pa,
		     "session \"systemd\": token 0 is a \"%s\" file, not a memfd: systemd restores no fd from it",
		     map->compatible);
		map = NULL;
	} else {
		r = memfd_content(src, map, ps, &text, &size, why, sizeof(why));
		if (r == -KHOFMT_ERR_NOMEM)
			goto out;
		if (r)
			WARN(&o, "SYSD-1", -r, map->data,
			     "session \"systemd\": the mapping memfd (token 0) cannot be read: %s",
			     why);
	}
	if (text) {
		r = parse_at(text, (size_t)size, &o, map->data, &sd);
		if (r)
			goto out;
	} else {
		sd = calloc(1, sizeof(*sd));
		if (!sd) {
			r = -KHOFMT_ERR_NOMEM;
			goto out;
		}
	}
	sd->info.session_pa = l.session_pa;
	sd->info.has_mapping = map != NULL;
	sd->info.mapping_pa = map ? map->data : 0;
	sd->info.mapping_size = size;
	r = resolve(sd, src, ps, &l, &o);
	if (r) {
		khofmt_systemd_free(sd);
		sd = NULL;
		goto out;
	}
	*out = sd;
	sd = NULL;
out:
	free(text);
	lstate_free(&l);
	khofmt_systemd_free(sd);
	return r;
}

void khofmt_systemd_free(struct khofmt_systemd *sd)
{
	if (!sd)
		return;
	free(sd->fd);
	free(sd->strings);
	free(sd);
}

const struct khofmt_systemd_info *khofmt_systemd_info(const struct khofmt_systemd *sd)
{
	return sd ? &sd->info : NULL;
}

size_t khofmt_systemd_nfds(const struct khofmt_systemd *sd)
{
	return sd ? sd->nfd : 0;
}

const struct khofmt_systemd_fd *khofmt_systemd_fd(const struct khofmt_systemd *sd,
						  size_t i)
{
	return sd && i < sd->nfd ? &sd->fd[i] : NULL;
}

const char *khofmt_systemd_type_name(enum khofmt_systemd_fd_type t)
{
	switch (t) {
	case KHOFMT_SYSTEMD_TYPE_FD: return "fd";
	case KHOFMT_SYSTEMD_TYPE_LUO_SESSION: return "luo_session";
	default: return "unknown";
	}
}
