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
 * The JSON is parsed by json-c (Debian's libjson-c; strict mode, UTF-8
 * validated, depth MAX_DEPTH, at most KHOFMT_SYSTEMD_MAPPING_MAX bytes).
 * json-c 0.16 lets through what systemd's sd-json refuses and keeps only
 * the last of duplicated keys, so one pass over the text json-c accepted
 * (twalk) holds the rest against RFC 8259 and marks json-c's nodes
 * (userdata). Refused: raw control characters, \u0000 and lone surrogates
 * in strings, UTF-8 that is overlong or encodes a surrogate, NaN and
 * Infinity, numbers outside RFC 8259's grammar. Marked: a number that is
 * negative or above 2^64-1 as written (json-c clamps it) is not unsigned;
 * an object with a duplicated key keeps every key in text order, since
 * systemd's reader treats duplicates differently per level (fatal in the
 * top object, the entry dropped in an entry, allowed among unit ids:
 * the earlier values of a unit id are parsed again from their text).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "schema_int.h"

#define MAX_DEPTH 2048
/* shown in messages: names are cut and made printable */
#define SHOW_LEN 64

struct khofmt_systemd {
	struct khofmt_systemd_info info;
	struct khofmt_systemd_fd *fd;
	size_t nfd, capfd;
	json_object *root; /* json-c's tree: the fds' strings point into it */
};

/* ---- the text json-c accepted, held against RFC 8259 ---- */

/* userdata of a json_type_int node: not in [0, 2^64) as written */
static char not_uint_mark;

struct jtext {
	const unsigned char *p;
	size_t len, pos;
	json_tokener *keytok;  /* decodes one key */
	const char *err;
	size_t err_at;
	bool nomem;
};

static int terr(struct jtext *t, const char *what)
{
	if (!t->err) {
		t->err = what;
		t->err_at = t->pos;
	}
	return -1;
}

static void tws(struct jtext *t)
{
	while (t->pos < t->len && (t->p[t->pos] == ' ' || t->p[t->pos] == '\t' ||
				   t->p[t->pos] == '\n' || t->p[t->pos] == '\r'))
		t->pos++;
}

static bool hex4(const unsigned char *s, uint32_t *v)
{
	unsigned i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		unsigned char c = s[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			*v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			*v |= c - 'A' + 10;
		else
			return false;
	}
	return true;
}

/* A string at t->pos (the opening quote). */
static int tstring(struct jtext *t)
{
	t->pos++;
	while (t->pos < t->len) {
		unsigned char c = t->p[t->pos];
		uint32_t cp, lo;

		if (c == '"') {
			t->pos++;
			return 0;
		}
		if (c < 0x20)
			return terr(t, "control character in a string");
		if (c >= 0x80) {
			/* json-c lets overlong forms and surrogates through */
			char seq[5] = { 0 };
			size_t n = t->len - t->pos < 4 ? t->len - t->pos : 4, k;

			memcpy(seq, t->p + t->pos, n);
			k = khofmt_utf8_len(seq);
			if (!k)
				return terr(t, "invalid UTF-8 in a string");
			t->pos += k;
			continue;
		}
		if (c != '\\') {
			t->pos++;
			continue;
		}
		if (t->len - t->pos < 2)
			break;
		if (t->p[t->pos + 1] != 'u') {
			if (!strchr("\"\\/bfnrt", t->p[t->pos + 1]) || !t->p[t->pos + 1])
				return terr(t, "bad escape");
			t->pos += 2;
			continue;
		}
		if (t->len - t->pos < 6 || !hex4(t->p + t->pos + 2, &cp))
			return terr(t, "bad \\u escape");
		if (cp == 0)
			return terr(t, "\\u0000 in a string");
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return terr(t, "lone low surrogate");
		t->pos += 6;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (t->len - t->pos < 6 || t->p[t->pos] != '\\' ||
			    t->p[t->pos + 1] != 'u' || !hex4(t->p + t->pos + 2, &lo) ||
			    lo < 0xdc00 || lo > 0xdfff)
				return terr(t, "lone high surrogate");
			t->pos += 6;
		}
	}
	return terr(t, "unterminated string");
}

static bool digit(const struct jtext *t)
{
	return t->pos < t->len && t->p[t->pos] >= '0' && t->p[t->pos] <= '9';
}

/* A number at t->pos (RFC 8259's grammar); *uint: in [0, 2^64) as written. */
static int tnumber(struct jtext *t, bool *uint)
{
	bool neg = false, frac = false, over = false;
	uint64_t u = 0;

	if (t->p[t->pos] == '-') {
		neg = true;
		t->pos++;
	}
	if (!digit(t))
		return terr(t, "bad number");
	if (t->p[t->pos] == '0' && t->pos + 1 < t->len &&
	    t->p[t->pos + 1] >= '0' && t->p[t->pos + 1] <= '9')
		return terr(t, "number with a leading zero");
	while (digit(t)) {
		unsigned d = t->p[t->pos++] - '0';

		if (u > (UINT64_MAX - d) / 10)
			over = true;
		u = u * 10 + d;
	}
	if (t->pos < t->len && t->p[t->pos] == '.') {
		frac = true;
		t->pos++;
		if (!digit(t))
			return terr(t, "bad fraction");
		while (digit(t))
			t->pos++;
	}
	if (t->pos < t->len && (t->p[t->pos] == 'e' || t->p[t->pos] == 'E')) {
		frac = true;
		t->pos++;
		if (t->pos < t->len && (t->p[t->pos] == '+' || t->p[t->pos] == '-'))
			t->pos++;
		if (!digit(t))
			return terr(t, "bad exponent");
		while (digit(t))
			t->pos++;
	}
	*uint = !neg && !frac && !over;
	return 0;
}

static int tlit(struct jtext *t, const char *w)
{
	size_t l = strlen(w);

	if (t->len - t->pos < l || memcmp(t->p + t->pos, w, l))
		return terr(t, "unexpected character");
	t->pos += l;
	return 0;
}

static void keys_free(json_object *o, void *keys)
{
	(void)o;
	json_object_put(keys);
}

/* The key string at [s, t->pos) decoded by json-c, added to @keys. */
static int tkey(struct jtext *t, size_t s, json_object *keys, const char **key)
{
	json_object *k;

	json_tokener_reset(t->keytok);
	k = json_tokener_parse_ex(t->keytok, (const char *)t->p + s, (int)(t->pos - s));
	if (!json_object_is_type(k, json_type_string)) {
		json_object_put(k);
		return terr(t, "bad key");
	}
	if (json_object_array_add(keys, k)) {
		json_object_put(k);
		t->nomem = true;
		return terr(t, "out of memory");
	}
	*key = json_object_get_string(k);
	return 0;
}

struct tspan {
	size_t s, e;
};

static int twalk(struct jtext *t, json_object *jo, unsigned depth, bool units);

/* An earlier duplicate's value @s (checked text) parsed again on its own. */
static json_object *reparse(struct jtext *t, struct tspan s, unsigned depth)
{
	struct jtext sub = { .p = t->p + s.s, .len = s.e - s.s, .keytok = t->keytok };
	json_tokener *tok = json_tokener_new_ex(MAX_DEPTH);
	char *buf = malloc(sub.len + 1);
	json_object *v = NULL;

	if (!tok || !buf) {
		t->nomem = true;
		terr(t, "out of memory");
		goto out;
	}
	/* the NUL ends a number at the end of the span */
	memcpy(buf, sub.p, sub.len);
	buf[sub.len] = 0;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	v = json_tokener_parse_ex(tok, buf, (int)sub.len + 1);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		terr(t, "unexpected end");
	} else if (twalk(&sub, v, depth, false)) {
		if (sub.nomem)
			t->nomem = true;
		if (!t->err) {
			t->err = sub.err;
			t->err_at = s.s + sub.err_at;
		}
	}
out:
	json_tokener_free(tok);
	free(buf);
	if (t->err) {
		json_object_put(v);
		v = NULL;
	}
	return v;
}

/*
 * The top-level "units" with a unit id given twice: systemd reads every
 * member, json-c kept the last of each id, so the earlier ones are parsed
 * again from their text. @jo's userdata becomes [[id, value], ...] in text
 * order (@keys: the ids, @sp: the values' text).
 */
static int units_pairs(struct jtext *t, json_object *jo, json_object *keys,
		       const struct tspan *sp, size_t n, unsigned depth)
{
	json_object *pairs = json_object_new_array(), *seen = json_object_new_object();
	json_object **val = calloc(n ? n : 1, sizeof(*val));
	size_t i;
	int r = -1;

	if (!pairs || !seen || !val)
		goto nomem;
	/* from the end: the first time an id is met, its value is json-c's */
	for (i = n; i-- > 0;) {
		const char *k = json_object_get_string(json_object_array_get_idx(keys, i));

		if (!json_object_object_get_ex(seen, k, NULL)) {
			if (json_object_object_add(seen, k, NULL))
				goto nomem;
			val[i] = json_object_get(json_object_object_get(jo, k));
			continue;
		}
		val[i] = reparse(t, sp[i], depth + 1);
		if (t->err)
			goto out;
	}
	for (i = 0; i < n; i++) {
		json_object *p = json_object_new_array(), *k;

		if (!p || json_object_array_add(pairs, p)) {
			json_object_put(p);
			goto nomem;
		}
		k = json_object_get(json_object_array_get_idx(keys, i));
		if (json_object_array_add(p, k)) {
			json_object_put(k);
			goto nomem;
		}
		if (json_object_array_add(p, val[i]))
			goto nomem;
		val[i] = NULL;
	}
	json_object_set_userdata(jo, pairs, keys_free);
	pairs = NULL;
	r = 0;
	goto out;
nomem:
	t->nomem = true;
	terr(t, "out of memory");
out:
	for (i = 0; i < n; i++)
		json_object_put(val ? val[i] : NULL);
	free(val);
	json_object_put(seen);
	json_object_put(pairs);
	return r;
}

/*
 * The value at t->pos, whose node json-c made is @jo (NULL: none, e.g. an
 * earlier duplicate). Each walk sets the marks of the nodes it reaches
 * afresh, so the last of duplicated members, which json-c kept and which
 * is walked last, leaves its marks.
 */
static int twalk(struct jtext *t, json_object *jo, unsigned depth, bool units)
{
	unsigned char c;
	bool uint;

	tws(t);
	if (t->pos >= t->len)
		return terr(t, "unexpected end");
	if (depth > MAX_DEPTH)
		return terr(t, "nested deeper than 2048");
	c = t->p[t->pos];
	if (c == '{' || c == '[') {
		bool obj = c == '{';
		json_object *keys = NULL;
		struct tspan *sp = NULL;
		size_t i = 0, capsp = 0;
		int r = -1;

		if (obj && !(keys = json_object_new_array())) {
			t->nomem = true;
			return terr(t, "out of memory");
		}
		t->pos++;
		tws(t);
		if (t->pos < t->len && t->p[t->pos] == (obj ? '}' : ']')) {
			t->pos++;
			r = 0;
			goto done;
		}
		for (;; i++) {
			json_object *child = NULL;
			bool child_units = false;
			struct tspan v;

			if (obj) {
				const char *key;
				size_t s;

				tws(t);
				if (t->pos >= t->len || t->p[t->pos] != '"') {
					terr(t, "expected a key");
					goto done;
				}
				s = t->pos;
				if (tstring(t) || tkey(t, s, keys, &key))
					goto done;
				tws(t);
				if (t->pos >= t->len || t->p[t->pos] != ':') {
					terr(t, "expected ':'");
					goto done;
				}
				t->pos++;
				if (json_object_is_type(jo, json_type_object))
					child = json_object_object_get(jo, key);
				child_units = depth == 0 && !strcmp(key, "units");
			} else if (json_object_is_type(jo, json_type_array) &&
				   i < json_object_array_length(jo)) {
				child = json_object_array_get_idx(jo, i);
			}
			v.s = t->pos;
			if (twalk(t, child, depth + 1, child_units))
				goto done;
			v.e = t->pos;
			if (units) {
				void *p = khofmt_grow(sp, &capsp, i + 1, sizeof(*sp));

				if (!p) {
					t->nomem = true;
					terr(t, "out of memory");
					goto done;
				}
				sp = p;
				sp[i] = v;
			}
			tws(t);
			if (t->pos < t->len && t->p[t->pos] == ',') {
				t->pos++;
				continue;
			}
			if (t->pos < t->len && t->p[t->pos] == (obj ? '}' : ']')) {
				t->pos++;
				r = 0;
				break;
			}
			terr(t, obj ? "expected ',' or '}'" : "expected ',' or ']'");
			goto done;
		}
done:
		if (obj && r == 0 && json_object_is_type(jo, json_type_object)) {
			/* every key kept only where one is duplicated */
			if (json_object_array_length(keys) > (size_t)json_object_object_length(jo)) {
				if (units) {
					r = units_pairs(t, jo, keys, sp, i + 1, depth);
				} else {
					json_object_set_userdata(jo, keys, keys_free);
					keys = NULL;
				}
			} else {
				json_object_set_userdata(jo, NULL, NULL);
			}
		}
		json_object_put(keys);
		free(sp);
		return r;
	}
	switch (c) {
	case '"':
		return tstring(t);
	case 't':
		return tlit(t, "true");
	case 'f':
		return tlit(t, "false");
	case 'n':
		return tlit(t, "null");
	default:
		if (c != '-' && (c < '0' || c > '9'))
			return terr(t, "unexpected character");
		if (tnumber(t, &uint))
			return -1;
		if (json_object_is_type(jo, json_type_int))
			json_object_set_userdata(jo, uint ? NULL : &not_uint_mark, NULL);
		return 0;
	}
}

/*
 * Member @key of object @o (NULL also for a JSON null) and how many times
 * the text gives it (0: absent).
 */
static json_object *jget(json_object *o, const char *key, unsigned *count)
{
	json_object *v = NULL, *keys;
	size_t i, n;

	*count = 0;
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	keys = json_object_get_userdata(o);
	n = keys ? json_object_array_length(keys) : 0;
	for (i = 0; i < n; i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(keys, i)), key))
			++*count;
	if (!*count)
		*count = 1;
	return v;
}

/* @v as an unsigned 64-bit integer, as written in the text. */
static bool juint(json_object *v, uint64_t *u)
{
	if (!json_object_is_type(v, json_type_int) ||
	    json_object_get_userdata(v) == &not_uint_mark ||
	    json_object_get_int64(v) < 0)
		return false;
	errno = 0;
	*u = json_object_get_uint64(v);
	return errno == 0;
}

static const char *jstr(json_object *v)
{
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
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
static int decode_entry(struct khofmt_systemd *sd,
			json_object *e, const char *unit, bool unit_ok,
			size_t idx, const struct khofmt_schema_opts *o,
			uint64_t pa)
{
	static const char *const fields[] = { "type", "name", "token",
					      "sessionName" };
	json_object *type, *name, *tok, *sess;
	unsigned ntype, nname, ntok, nsess;
	struct khofmt_systemd_fd *f = fd_add(sd);
	char b1[SHOW_LEN + 4], b2[SHOW_LEN + 4], b3[SHOW_LEN + 4];
	unsigned n, i;

	if (!f)
		return -KHOFMT_ERR_NOMEM;
	f->unit = unit;
	f->index = idx;
	f->restorable = unit_ok;
	if (!json_object_is_type(e, json_type_object)) {
		f->restorable = false;
		if (unit_ok)
			SKIP(sd, o, pa, "unit %s: fdstore entry %zu is not an object: skipped",
			     show(unit, b1), idx);
		return 0;
	}
	type = jget(e, "type", &ntype);
	if (jstr(type))
		f->type_name = jstr(type);
	name = jget(e, "name", &nname);
	if (jstr(name))
		f->name = jstr(name);
	tok = jget(e, "token", &ntok);
	if (juint(tok, &f->token))
		f->has_token = true;
	sess = jget(e, "sessionName", &nsess);
	f->session_name = jstr(sess);
	if (!strcmp(f->type_name, "fd"))
		f->type = KHOFMT_SYSTEMD_TYPE_FD;
	else if (!strcmp(f->type_name, "luo_session"))
		f->type = KHOFMT_SYSTEMD_TYPE_LUO_SESSION;
	if (!unit_ok)
		return 0;	/* the unit was reported once */
	for (i = 0; i < 4; i++) {
		jget(e, fields[i], &n);
		if (n > 1) {
			f->restorable = false;
			return SKIP(sd, o, pa, "unit %s fd %s: field \"%s\" given %u times: skipped",
				    show(unit, b1), show(f->name, b2), fields[i], n);
		}
	}
	if (!jstr(type) || !jstr(name)) {
		f->restorable = false;
		return SKIP(sd, o, pa, "unit %s: fdstore entry %zu lacks a string \"type\" or \"name\": skipped",
			    show(unit, b1), idx);
	}
	if ((ntok && !f->has_token) || (nsess && !jstr(sess))) {
		f->restorable = false;
		return SKIP(sd, o, pa, "unit %s fd %s: %s is not %s: skipped",
			    show(unit, b1), show(f->name, b2),
			    ntok && !f->has_token ? "token" : "sessionName",
			    ntok && !f->has_token ? "an unsigned 64-bit integer" :
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

/* One member of "units". */
static int decode_unit(struct khofmt_systemd *sd, const char *unit, json_object *u,
		       uint64_t version, const struct khofmt_schema_opts *o, uint64_t pa)
{
	bool ok = version <= KHOFMT_SYSTEMD_VERSION;
	char b1[SHOW_LEN + 4];
	unsigned n;
	json_object *fs = jget(u, "fdstore", &n);
	size_t k, nent;
	int r;

	sd->info.units++;
	if (ok && !unit_name_valid(unit)) {
		SKIP(sd, o, pa, "unit id \"%s\" is not a valid unit name: its fds are skipped",
		     show(unit, b1));
		ok = false;
	}
	if (!json_object_is_type(fs, json_type_array)) {
		if (ok)
			SKIP(sd, o, pa, "unit %s: \"fdstore\" is %s: skipped",
			     show(unit, b1), n ? "not an array" : "missing");
		return 0;
	}
	nent = json_object_array_length(fs);
	for (k = 0; k < nent; k++) {
		r = decode_entry(sd, json_object_array_get_idx(fs, k), unit, ok, k, o, pa);
		if (r == -KHOFMT_ERR_NOMEM)
			return r;
	}
	return 0;
}

static int decode(struct khofmt_systemd *sd, json_object *root,
		  const struct khofmt_schema_opts *o, uint64_t pa)
{
	json_object *ver, *state, *units, *pairs;
	uint64_t version;
	unsigned nv, ns, nu;
	int r;

	if (!json_object_is_type(root, json_type_object))
		return WARN(o, "SYSD-2", KHOFMT_ERR_STRUCT, pa,
			    "systemd mapping: the JSON value is not an object");
	ver = jget(root, "version", &nv);
	state = jget(root, "state", &ns);
	units = jget(root, "units", &nu);
	if (nv > 1 || ns > 1 || nu > 1)
		return WARN(o, "SYSD-2", KHOFMT_ERR_STRUCT, pa,
			    "systemd mapping: \"%s\" given more than once (the reader refuses duplicate fields)",
			    nv > 1 ? "version" : ns > 1 ? "state" : "units");
	if (!juint(ver, &version))
		return WARN(o, "SYSD-2", KHOFMT_ERR_STRUCT, pa,
			    "systemd mapping: \"version\" is %s",
			    nv ? "not an unsigned integer" : "missing");
	if ((ns && !json_object_is_type(state, json_type_object)) ||
	    (nu && !json_object_is_type(units, json_type_object)))
		return WARN(o, "SYSD-2", KHOFMT_ERR_STRUCT, pa,
			    "systemd mapping: \"%s\" is not an object",
			    ns && !json_object_is_type(state, json_type_object) ?
			    "state" : "units");
	sd->info.version = version;
	sd->info.has_state = ns != 0;
	sd->info.parsed = true;
	if (version > KHOFMT_SYSTEMD_VERSION)
		WARN(o, "SYSD-3", KHOFMT_ERR_COMPAT, pa,
		     "systemd mapping version %llu: a systemd reading version %u restores nothing",
		     (unsigned long long)version, KHOFMT_SYSTEMD_VERSION);
	if (!units)
		return check_dup_tokens(sd, o, pa);
	pairs = json_object_get_userdata(units);
	if (pairs) {
		/* a unit id given more than once: every one, in text order */
		size_t i, np = json_object_array_length(pairs);

		for (i = 0; i < np; i++) {
			json_object *p = json_object_array_get_idx(pairs, i);

			r = decode_unit(sd, json_object_get_string(json_object_array_get_idx(p, 0)),
					json_object_array_get_idx(p, 1), version, o, pa);
			if (r == -KHOFMT_ERR_NOMEM)
				return r;
		}
	} else {
		json_object_object_foreach(units, unit, u) {
			r = decode_unit(sd, unit, u, version, o, pa);
			if (r == -KHOFMT_ERR_NOMEM)
				return r;
		}
	}
	return check_dup_tokens(sd, o, pa);
}

/*
 * @text by json-c, then held against RFC 8259 (twalk): the root, or
 * NULL with *err set (a JSON null is a root of NULL and no *err).
 */
static int jparse(const void *text, size_t len, json_object **root,
		  char *err, size_t errsz)
{
	struct jtext t = { .p = text, .len = len };
	json_tokener *tok = json_tokener_new_ex(MAX_DEPTH);
	enum json_tokener_error e;
	int r = 0;

	*root = NULL;
	err[0] = 0;
	t.keytok = json_tokener_new_ex(1);
	if (!tok || !t.keytok) {
		r = -KHOFMT_ERR_NOMEM;
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	json_tokener_set_flags(t.keytok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	*root = json_tokener_parse_ex(tok, text, (int)len);
	e = json_tokener_get_error(tok);
	if (e != json_tokener_success) {
		snprintf(err, errsz, "%s at byte %zu",
			 e == json_tokener_continue ? "unexpected end" :
			 json_tokener_error_desc(e),
			 e == json_tokener_continue ? len : json_tokener_get_parse_end(tok));
		goto out;
	}
	if (!twalk(&t, *root, 0, false)) {
		tws(&t);
		if (t.pos != t.len)
			terr(&t, "data after the JSON value");
	}
	if (t.nomem)
		r = -KHOFMT_ERR_NOMEM;
	else if (t.err)
		snprintf(err, errsz, "%s at byte %zu", t.err, t.err_at);
out:
	if (r || err[0]) {
		json_object_put(*root);
		*root = NULL;
	}
	json_tokener_free(t.keytok);
	json_tokener_free(tok);
	return r;
}

static int parse_at(const void *text, size_t len,
		    const struct khofmt_schema_opts *opts, uint64_t pa,
		    struct khofmt_systemd **out)
{
	struct khofmt_systemd *sd;
	char err[96];
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
	r = jparse(text ? text : "", len, &sd->root, err, sizeof(err));
	if (r) {
		free(sd);
		return r;
	}
	if (err[0]) {
		WARN(opts, "SYSD-2", KHOFMT_ERR_STRUCT, pa,
		     "systemd mapping does not parse as JSON: %s", err);
		*out = sd;
		return 0;
	}
	r = decode(sd, sd->root, opts, pa);
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
		if (!r)
			khofmt_memfd_owner(&m, &it);
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
	json_object_put(sd->root);
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
