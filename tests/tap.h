/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tap.h - a tiny TAP (Test Anything Protocol) producer for the C tests.
 *
 * Output goes to stdout, which Automake's tap-driver.sh parses; every
 * diagnostic is a "# " comment line so that it lands in the test's .log.
 *
 *	plan(5);                        or nothing, then done_testing()
 *	ok(x == 1, "x is one");
 *	is_int(got, want, "count");     signed, decimal diagnostics
 *	is_u64(got, want, "address");   unsigned, hex + decimal diagnostics
 *	is_str(got, want, "name");
 *	diag("seed %u", seed);
 *	skip(3, "no dtc");
 *	return done_testing();
 *
 * Header-only (static inline), no global state outside this file's
 * translation unit; each test program includes it once.
 */
#ifndef KHO_TESTS_TAP_H
#define KHO_TESTS_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tap_state {
	unsigned planned;  /* 0 = no plan yet */
	unsigned run;
	unsigned failed;
};

static inline struct tap_state *tap_state(void)
{
	static struct tap_state st;
	return &st;
}

static inline void tap_vprint(const char *prefix, const char *fmt, va_list ap)
{
	char buf[4096];
	char *line, *save = NULL;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* One "# " per line so multi-line diagnostics stay comments. */
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		printf("%s%s\n", prefix, line);
	fflush(stdout);
}

static inline void plan(unsigned n)
{
	tap_state()->planned = n;
	printf("1..%u\n", n);
	fflush(stdout);
}

__attribute__((format(printf, 1, 2)))
static inline void diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vprint("# ", fmt, ap);
	va_end(ap);
}

/* Abort the whole test program: tap-driver reports it as an ERROR. */
__attribute__((format(printf, 1, 2), noreturn))
static inline void bail_out(const char *fmt, ...)
{
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("Bail out! %s\n", buf);
	fflush(stdout);
	exit(99);
}

__attribute__((format(printf, 4, 0)))
static inline bool tap_vok(bool cond, const char *file, int line,
			   const char *fmt, va_list ap)
{
	struct tap_state *st = tap_state();
	char name[1024];

	vsnprintf(name, sizeof(name), fmt, ap);
	/* '#' in a test name would start a TAP directive. */
	for (char *p = name; *p; p++)
		if (*p == '#' || *p == '\n')
			*p = ' ';
	st->run++;
	printf("%sok %u - %s\n", cond ? "" : "not ", st->run, name);
	if (!cond) {
		st->failed++;
		printf("#   Failed test at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

__attribute__((format(printf, 4, 5)))
static inline bool tap_ok(bool cond, const char *file, int line,
			  const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_vok(cond, file, line, fmt, ap);
	va_end(ap);
	return r;
}

__attribute__((format(printf, 5, 6)))
static inline bool tap_is_int(long long got, long long want, const char *file,
			      int line, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_vok(got == want, file, line, fmt, ap);
	va_end(ap);
	if (!r)
		printf("#          got: %lld\n#     expected: %lld\n", got, want);
	fflush(stdout);
	return r;
}

__attribute__((format(printf, 5, 6)))
static inline bool tap_is_u64(uint64_t got, uint64_t want, const char *file,
			      int line, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_vok(got == want, file, line, fmt, ap);
	va_end(ap);
	if (!r)
		printf("#          got: 0x%016" PRIx64 " (%" PRIu64 ")\n"
		       "#     expected: 0x%016" PRIx64 " (%" PRIu64 ")\n",
		       got, got, want, want);
	fflush(stdout);
	return r;
}

__attribute__((format(printf, 5, 6)))
static inline bool tap_is_str(const char *got, const char *want,
			      const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	bool same = got && want ? strcmp(got, want) == 0 : got == want;
	bool r;

	va_start(ap, fmt);
	r = tap_vok(same, file, line, fmt, ap);
	va_end(ap);
	if (!r)
		printf("#          got: %s%s%s\n#     expected: %s%s%s\n",
		       got ? "\"" : "", got ? got : "NULL", got ? "\"" : "",
		       want ? "\"" : "", want ? want : "NULL", want ? "\"" : "");
	fflush(stdout);
	return r;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) \
	tap_is_int((long long)(got), (long long)(want), __FILE__, __LINE__, \
		   __VA_ARGS__)
#define is(got, want, ...) is_int(got, want, __VA_ARGS__)
#define is_u64(got, want, ...) \
	tap_is_u64((uint64_t)(got), (uint64_t)(want), __FILE__, __LINE__, \
		   __VA_ARGS__)
#define is_str(got, want, ...) \
	tap_is_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)
#define pass(...) ok(1, __VA_ARGS__)
#define fail(...) ok(0, __VA_ARGS__)

/* Record @n skipped tests. */
static inline void skip(unsigned n, const char *reason)
{
	struct tap_state *st = tap_state();

	while (n--) {
		st->run++;
		printf("ok %u # SKIP %s\n", st->run, reason);
	}
	fflush(stdout);
}

/* Skip the whole program (must come before any test). */
__attribute__((noreturn))
static inline void skip_all(const char *reason)
{
	printf("1..0 # SKIP %s\n", reason);
	fflush(stdout);
	exit(0); /* tap-driver.sh reads the plan; a non-zero exit is an ERROR */
}

/*
 * Print the trailing plan if none was given; exit status for main().
 * Failed tests are already in the TAP stream, so the status is 0 unless
 * the plan was not met: tap-driver.sh turns any other non-zero status (a
 * crash, a sanitizer's exit code) into an ERROR of its own.
 */
static inline int done_testing(void)
{
	struct tap_state *st = tap_state();
	int rc = 0;

	if (!st->planned) {
		printf("1..%u\n", st->run);
	} else if (st->planned != st->run) {
		printf("# planned %u tests but ran %u\n", st->planned, st->run);
		rc = 1;
	}
	if (st->failed)
		printf("# failed %u of %u tests\n", st->failed, st->run);
	fflush(stdout);
	return rc;
}

#endif /* KHO_TESTS_TAP_H */
