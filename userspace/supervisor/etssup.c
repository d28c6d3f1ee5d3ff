// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: an OTP-style process supervisor (see etssup(8)). The entry
 * point: read the specification, check that etssup can give every child
 * the capabilities it is to keep and the user and group it is to run as,
 * then supervise.
 */
#include <stdio.h>
#include <string.h>

#include "caps.h"
#include "cli.h"
#include "identity.h"
#include "report.h"
#include "spec.h"
#include "supervisor.h"

#define EXIT_USAGE 2

/*
 * Every child's capabilities, user and group, before any child starts:
 * what etssup cannot give is a configuration error, never ignored.
 */
static int check_children(struct sup_spec *spec)
{
	char err[SPEC_ERR_MAX];

	for (size_t i = 0; i < spec->nchildren; i++) {
		struct child_spec *c = &spec->children[i];

		if (caps_check(c->keep_caps, c->nkeep_caps, err) < 0 ||
		    identity_prepare(&c->identity, err) < 0) {
			fprintf(stderr, "etssup: child %s: %s\n", c->id, err);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sup_spec spec;
	int status, ret;

	sup_spec_init(&spec);
	switch (cli_parse(argc, argv, &spec)) {
	case CLI_DONE:
		status = 0;
		goto out;
	case CLI_USAGE:
		status = EXIT_USAGE;
		goto out;
	default:
		break;
	}
	if (check_children(&spec) < 0) {
		status = EXIT_USAGE;
		goto out;
	}
	ret = spec.log_path ? report_open_log(spec.log_path) : 0;
	if (ret < 0) {
		fprintf(stderr, "etssup: cannot open the log %s: %s\n",
			spec.log_path, strerror(-ret));
		status = 1;
		goto out;
	}
	status = supervisor_run(&spec);
out:
	sup_spec_free(&spec);
	return status;
}
