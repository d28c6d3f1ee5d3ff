// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the listening sockets kept in the service manager's file
 * descriptor store (see fdstore.h), with libsystemd's sd_notify(3) and
 * sd_listen_fds(3).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "fdstore.h"
#include "listener.h"
#include "report.h"
#include "spec.h"

/* "etssup-listen-" and an id of at most SPEC_NAME_MAX characters. */
#define FDSTORE_NAME_MAX (sizeof(FDSTORE_NAME_PREFIX) + SPEC_NAME_MAX)

struct stored {
	char name[FDSTORE_NAME_MAX];
	int fd;			/* -1: taken */
};

static struct stored *passed;
static size_t npassed;
/* The socket-activated ones, by their LISTEN_FDNAMES name. */
static struct activated {
	char *name;
	int fd;			/* -1: taken */
} *activated;
static size_t nactivated;

static void store_name(char *buf, size_t len, const char *id)
{
	snprintf(buf, len, "%s%s", FDSTORE_NAME_PREFIX, id);
	for (char *p = buf; *p; p++)
		if (*p == ':')
			*p = '%';
}

void fdstore_init(void)
{
	char **names = NULL;
	int n = sd_listen_fds_with_names(0, &names);

	if (n <= 0 || !names)
		goto out;
	passed = calloc((size_t)n, sizeof(*passed));
	activated = calloc((size_t)n, sizeof(*activated));
	if (!passed || !activated) {
		report_message("out of memory: the sockets systemd passed are not used");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (strncmp(names[i], FDSTORE_NAME_PREFIX,
			    strlen(FDSTORE_NAME_PREFIX)) != 0 ||
		    strlen(names[i]) >= FDSTORE_NAME_MAX) {
			/* Socket activation's, a .socket unit's. */
			activated[nactivated].name = names[i];
			names[i] = NULL;
			activated[nactivated++].fd = SD_LISTEN_FDS_START + i;
			continue;
		}
		strcpy(passed[npassed].name, names[i]);
		passed[npassed++].fd = SD_LISTEN_FDS_START + i;
	}
out:
	for (int i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

int fdstore_take(const char *id)
{
	char name[FDSTORE_NAME_MAX];

	store_name(name, sizeof(name), id);
	for (size_t i = 0; i < npassed; i++) {
		int fd = passed[i].fd;

		if (fd >= 0 && strcmp(passed[i].name, name) == 0) {
			passed[i].fd = -1;
			return fd;
		}
	}
	return -1;
}

int fdstore_take_activated(const char *path, const char **name)
{
	for (size_t i = 0; i < nactivated; i++) {
		int fd = activated[i].fd;

		if (fd >= 0 && listener_listens_on(fd, path)) {
			activated[i].fd = -1;
			*name = activated[i].name;
			return fd;
		}
	}
	return -1;
}

void fdstore_drop_untaken(void)
{
	char msg[FDSTORE_NAME_MAX + 32];

	for (size_t i = 0; i < nactivated; i++) {
		if (activated[i].fd < 0)
			continue;
		report_message("the socket %s that the service manager passed listens on no child's listen path: closed",
			       activated[i].name);
		close(activated[i].fd);
		activated[i].fd = -1;
	}

	for (size_t i = 0; i < npassed; i++) {
		if (passed[i].fd < 0)
			continue;
		close(passed[i].fd);
		passed[i].fd = -1;
		snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s",
			 passed[i].name);
		sd_notify(0, msg);
	}
	free(passed);
	passed = NULL;
	npassed = 0;
	for (size_t i = 0; i < nactivated; i++)
		free(activated[i].name);
	free(activated);
	activated = NULL;
	nactivated = 0;
}

int fdstore_put(const char *id, int fd, char *why, size_t len)
{
	char name[FDSTORE_NAME_MAX], msg[FDSTORE_NAME_MAX + 32];
	int ret;

	if (!getenv("NOTIFY_SOCKET"))
		return 0;
	store_name(name, sizeof(name), id);
	/* One socket a name: FDSTORE=1 would add it beside the old one. */
	fdstore_remove(id);
	snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", name);
	ret = sd_pid_notify_with_fds(0, 0, msg, &fd, 1);
	if (ret < 0) {
		snprintf(why, len, "%s", strerror(-ret));
		return -1;
	}
	return ret > 0;
}

void fdstore_remove(const char *id)
{
	char name[FDSTORE_NAME_MAX], msg[FDSTORE_NAME_MAX + 32];

	if (!getenv("NOTIFY_SOCKET"))
		return;
	store_name(name, sizeof(name), id);
	snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s", name);
	sd_notify(0, msg);
}
