// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * systemd's FD-store mapping (token 0 of the LUO session "systemd"):
 * khofmt_systemd_parse() on arbitrary bytes, with a problem callback, then
 * every fd. Invariants: a mapping that does not parse (SYSD-2) has no
 * entries; every string is NUL-terminated UTF-8 the parser let through;
 * a restorable entry is well formed (an fd with a token >= 1, or a
 * luo_session with a session name).
 *
 * fuzz-dict: systemd
 * fuzz-max-len: 65536
 */
#include "fuzz.h"

struct pc {
	bool parse_fail;
	unsigned n;
};

static int on_problem(void *arg, const struct khofmt_schema_problem *p)
{
	struct pc *c = arg;

	FZ_ASSERT(p->rule && p->msg && strlen(p->msg) < 256);
	FZ_ASSERT(!p->fatal);
	if (!strcmp(p->rule, "SYSD-2"))
		c->parse_fail = true;
	c->n++;
	return 0;
}

static void utf8_ok(const char *s)
{
	while (*s) {
		size_t k = (unsigned char)*s < 0x80 ? 1 : khofmt_utf8_len(s);

		FZ_ASSERT(k);
		s += k;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pc c = { false, 0 };
	struct khofmt_schema_opts o = { .sz = sizeof(o), .problem = on_problem,
					.problem_arg = &c };
	const struct khofmt_systemd_info *info;
	struct khofmt_systemd *sd = NULL;
	size_t i, n;
	int rc;

	rc = khofmt_systemd_parse(data, size, &o, &sd);
	FZ_ASSERT(rc == 0 || rc == -KHOFMT_ERR_NOMEM);
	if (rc)
		return 0;
	FZ_ASSERT(sd);
	info = khofmt_systemd_info(sd);
	n = khofmt_systemd_nfds(sd);
	FZ_ASSERT(info->parsed == !c.parse_fail);
	FZ_ASSERT(info->parsed || n == 0);
	FZ_ASSERT(info->mapping_size == size);
	for (i = 0; i < n; i++) {
		const struct khofmt_systemd_fd *f = khofmt_systemd_fd(sd, i);

		FZ_ASSERT(f && f->unit && f->name && f->type_name);
		utf8_ok(f->unit);
		utf8_ok(f->name);
		utf8_ok(f->type_name);
		if (f->session_name)
			utf8_ok(f->session_name);
		FZ_ASSERT(!f->unnamed && !f->preserved);
		FZ_ASSERT(khofmt_systemd_type_name(f->type));
		if (f->restorable) {
			FZ_ASSERT(info->version <= KHOFMT_SYSTEMD_VERSION);
			if (f->type == KHOFMT_SYSTEMD_TYPE_FD)
				FZ_ASSERT(f->has_token && f->token >= 1);
			else
				FZ_ASSERT(f->type == KHOFMT_SYSTEMD_TYPE_LUO_SESSION &&
					  f->session_name);
		}
	}
	FZ_ASSERT(!khofmt_systemd_fd(sd, n));
	khofmt_systemd_free(sd);
	return 0;
}
