// SPDX-License-Identifier: GPL-2.0
/*
 * etssup: the listening socket of a child with listen. etssup binds it
 * (or gets it from a .socket unit or systemd's fd store), passes it to
 * every instance, keeps it in the fd store for the next etssup, and takes
 * it back from a re-adopted instance. A path a live child serves is never
 * bound over (listener.c holds the socket mechanics).
 */
#include "fdstore.h"
#include "report.h"
#include "sup.h"

/*
 * Make the socket etssup holds (or none: -1) the one its instances get,
 * and the one the service manager keeps for the next etssup, if any.
 */
static void pass_listener(struct sup *s, size_t i)
{
	const char *id = s->spec->children[i].id;
	struct listener *l = &s->listeners[i];
	char why[128];
	int ret;

	s->children[i].listen_fd = l->fd;
	s->children[i + s->n].listen_fd = l->fd;
	if (l->fd < 0) {
		fdstore_remove(id);
		return;
	}
	/* A socket unit passes its own again at every start. */
	if (l->in_store || l->activated)
		return;
	ret = fdstore_put(id, l->fd, why, sizeof(why));
	l->in_store = ret > 0;
	if (ret < 0)
		report_message("child %s: cannot keep its socket in the service manager's file descriptor store (NOTIFY_SOCKET): %s; a restarted etssup takes it back from the child",
			       id, why);
}

/*
 * The socket the service manager passed for child @c, if any: one its fd
 * store kept for it, or a .socket unit's that listens on its path
 * (socket activation), which etssup holds and passes on as its own.
 */
static void stored_listener(struct sup *s, struct child *c)
{
	struct listener *l = &s->listeners[spec_index(s, c)];
	const char *path = c->spec->listen;
	int fd = fdstore_take(c->spec->id);
	const char *name;
	char why[160];

	if (fd < 0) {
		fd = fdstore_take_activated(path, &name);
		if (fd < 0)
			return;
		if (listener_adopt(l, fd, path, why, sizeof(why)) < 0) {
			report_message("child %s: the socket %s the service manager passed is %s; not used",
				       c->spec->id, name, why);
			return;
		}
		l->activated = true;
		return;
	}
	if (listener_adopt(l, fd, path, why, sizeof(why)) < 0)
		report_message("child %s: the socket the service manager kept for it is %s; not used",
			       c->spec->id, why);
	else
		l->in_store = true;
}

/*
 * The listening socket of child @c: taken back from the re-adopted
 * instance (or its standby), so that the path keeps naming the socket it
 * accepts on, or bound anew when none runs. Without it the child binds
 * its own, as it would alone.
 *
 * One that runs but whose socket cannot be taken is left serving it: a
 * socket bound over the path now would be one nobody accepts on. The
 * path is bound anew once no instance runs (sup_reclaim_listener).
 */
void sup_hold_listener(struct sup *s, struct child *c)
{
	size_t i = spec_index(s, c);
	struct listener *l = &s->listeners[i];
	struct child *b = standby_of(s, c);
	const char *path = c->spec->listen;
	char why[256], why_b[256] = "";

	stored_listener(s, c);
	if (l->fd < 0 && (child_running(c) || (b && child_running(b)))) {
		if ((!child_running(c) ||
		     listener_take(l, c->pidfd, path, why, sizeof(why)) < 0) &&
		    (!b || !child_running(b) ||
		     listener_take(l, b->pidfd, path, why_b,
				   sizeof(why_b)) < 0)) {
			listener_leave(l, path);
			report_message("child %s: its listening socket could not be taken back (%s%s%s); it keeps serving %s, which etssup binds anew once no instance of the child runs",
				       c->spec->id,
				       child_running(c) ? why : why_b,
				       child_running(c) && why_b[0] ?
				       "; from its standby: " : "",
				       child_running(c) ? why_b : "", path);
			pass_listener(s, i);
			return;
		}
	}
	if (l->fd < 0 && listener_bind(l, path, why, sizeof(why)) < 0)
		report_message("child %s: cannot listen on %s: %s; its instances bind their own",
			       c->spec->id, path, why);
	pass_listener(s, i);
}

/*
 * Child @c (the active instance) is about to start and its socket was
 * left with a re-adopted instance: none may run any more when the path
 * is bound anew. An idle standby of the old socket is stopped (it would
 * take over on a socket the path no longer names) and started again
 * afterwards with the new one. Once every instance has exited, their
 * descriptors are closed (a pidfd reports the exit after that), so the
 * bind replaces a socket file nobody accepts on.
 */
void sup_reclaim_listener(struct sup *s, struct child *c)
{
	size_t i = spec_index(s, c);
	struct listener *l = &s->listeners[i];
	struct child *b = standby_of(s, c);
	const char *path = c->spec->listen;
	char why[256];

	if (!path || !l->left_with_child || child_running(c))
		return;
	if (b && child_running(b)) {
		report_message("child %s: stopping its standby (pid %d), which has the socket etssup could not take back, to bind %s anew",
			       c->spec->id, (int)b->pid, path);
		sup_stop_child(s, b);
	}
	if (listener_bind(l, path, why, sizeof(why)) < 0) {
		report_message("child %s: cannot listen on %s: %s; its instances bind their own",
			       c->spec->id, path, why);
		l->left_with_child = false;
	} else {
		report_message("child %s: no instance serves %s any more: etssup binds %s anew and holds it from now on",
			       c->spec->id, path, path);
	}
	pass_listener(s, i);
}
