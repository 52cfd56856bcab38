// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khoctl verify --metrics FILE: the verdict in the Prometheus text format
 * that node_exporter's textfile collector reads (--collector.textfile.
 * directory, files ending in .prom), so a fleet's existing monitoring can
 * gate a rollout on it. The collector may read at any moment: the file is
 * written under a temporary name in the same directory (not ending in
 * .prom, so never collected) and renamed over FILE.
 *
 * Every rule of the table gets a series, 0 when it did not fire, so that
 * alerts see a value rather than an absent series.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "khoctl.h"
#include "metrics.h"
#include "out.h"

static void emit(FILE *o, const struct khofmt_verify *v, bool strict,
		 metrics_sev_fn sev, const void *arg, bool clean)
{
	static const char *const sevs[3] = { "info", "warning", "error" };
	size_t i, k, n = v ? khofmt_verify_nfindings(v) : 0;
	size_t nr = khofmt_rule_count();
	unsigned long counts[3] = { 0, 0, 0 };
	int s;

	fputs("# HELP khoctl_verify_success 1 when khoctl verify could read and "
	      "check the state, else 0.\n"
	      "# TYPE khoctl_verify_success gauge\n", o);
	fprintf(o, "khoctl_verify_success %d\n", v ? 1 : 0);
	fputs("# HELP khoctl_verify_last_run_timestamp_seconds When khoctl verify "
	      "wrote this file.\n"
	      "# TYPE khoctl_verify_last_run_timestamp_seconds gauge\n", o);
	fprintf(o, "khoctl_verify_last_run_timestamp_seconds %lld\n",
		(long long)time(NULL));
	if (!v)
		return;
	for (i = 0; i < n; i++)
		counts[sev(arg, khofmt_verify_finding(v, i))]++;
	fputs("# HELP khoctl_verify_clean 1 when verify found no error (exit 0), "
	      "else 0.\n# TYPE khoctl_verify_clean gauge\n", o);
	fprintf(o, "khoctl_verify_clean %d\n", clean ? 1 : 0);
	fputs("# HELP khoctl_verify_findings Findings of khoctl verify per "
	      "severity.\n# TYPE khoctl_verify_findings gauge\n", o);
	for (s = 2; s >= 0; s--)
		fprintf(o, "khoctl_verify_findings{severity=\"%s\"} %lu\n", sevs[s],
			counts[s]);
	fputs("# HELP khoctl_verify_rule_findings Findings of khoctl verify per "
	      "rule at the rule's severity (khoctl rules RULE explains one; "
	      "a blob consumed by its owner counts as info only).\n"
	      "# TYPE khoctl_verify_rule_findings gauge\n", o);
	for (k = 0; k < nr; k++) {
		const struct khofmt_rule *r = khofmt_rule_get(k);
		unsigned long c = 0;
		enum khofmt_severity rs = r->severity;

		if (strict && rs == KHOFMT_SEV_WARNING)
			rs = KHOFMT_SEV_ERROR;
		/* as shown: a consumed blob's findings are info, not here */
		for (i = 0; i < n; i++) {
			const struct khofmt_finding *f = khofmt_verify_finding(v, i);

			c += f->rule == r && sev(arg, f) == rs;
		}
		/* rule IDs are [A-Z0-9-]: nothing to escape in the label */
		fprintf(o, "khoctl_verify_rule_findings{rule=\"%s\",severity=\"%s\"} %lu\n",
			r->id, sevs[rs], c);
	}
}

int metrics_write(const char *path, const struct khofmt_verify *v, bool strict,
		  metrics_sev_fn sev, const void *arg, bool clean)
{
	size_t n = strlen(path) + 16;
	char *tmp = malloc(n);
	FILE *o = NULL;
	int fd, e = 0;

	if (!tmp)
		return out_err(path, "out of memory");
	snprintf(tmp, n, "%s.tmp.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		free(tmp);
		return out_err(path, "cannot create a temporary file beside it: %s",
			       strerror(e));
	}
	/* readable by the collector, whatever the umask made of mkstemp's 0600 */
	if (fchmod(fd, 0644) || !(o = fdopen(fd, "w"))) {
		e = errno;
		close(fd);
		goto fail;
	}
	emit(o, v, strict, sev, arg, clean);
	if (fflush(o) || ferror(o) || fsync(fileno(o)))
		e = errno ? errno : EIO;
	if (fclose(o) && !e)
		e = errno;
	if (!e && rename(tmp, path))
		e = errno;
	if (!e) {
		free(tmp);
		return 0;
	}
fail:
	unlink(tmp);
	free(tmp);
	return out_err(path, "cannot write the metrics: %s", strerror(e));
}
