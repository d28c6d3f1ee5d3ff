/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etscounter: what the counter daemon (etscounterd, counterd_*.c) and
 * its client (etscounter.c) agree on: the socket, the table, and the
 * protocol.
 *
 * The protocol is one line per request over a Unix stream socket, and one
 * line per answer; a connection may carry several requests in turn.
 *
 *   request   answer
 *   count     Counter N.                      (after the table holds N)
 *   check     Table: ID, Data [{count,N}].
 *   die       ok                              (then the daemon SIGKILLs
 *                                              itself)
 *   stop      ok                              (after the table is deleted;
 *                                              the daemon exits 0 once
 *                                              this connection is closed,
 *                                              or at SIGTERM)
 *   ping      ok                              (reports nothing: a probe
 *                                              that it serves)
 *   other     error TEXT
 *
 * Any request may also be answered "error TEXT" when it failed; stop and
 * die from a uid other than the daemon's and 0 are answered
 * "error not allowed: ..." (SO_PEERCRED).
 *
 * A client may send several requests at once (pipelining): each is
 * answered, in order. The daemon queues the answers a client does not
 * read yet, up to ETSCOUNTER_QUEUE_MAX bytes, and reads nothing more of
 * it meanwhile; a client that reads none of them for
 * ETSCOUNTER_STALL_MS is dropped.
 */
#ifndef ETSCOUNTER_H
#define ETSCOUNTER_H

/* Where etscounterd listens unless told otherwise (--socket). */
#define ETSCOUNTER_SOCKET_DEFAULT	"/run/etscounter.sock"

/* The table the daemon keeps {count, N} in. */
#define ETSCOUNTER_TABLE		"etscounter"

/* The key of the counter record in the table's record set. */
#define ETSCOUNTER_KEY			"count"

/* Longest request or answer line, newline included. */
#define ETSCOUNTER_LINE_MAX		512

/* An answer that reports a failure starts with this. */
#define ETSCOUNTER_ERROR_PREFIX		"error "

/* ... and one that refuses a stop or a die to the caller's uid, this. */
#define ETSCOUNTER_NOT_ALLOWED		ETSCOUNTER_ERROR_PREFIX "not allowed: "

/* Answers queued for a client that does not read them (yet), in bytes. */
#define ETSCOUNTER_QUEUE_MAX		(32 * ETSCOUNTER_LINE_MAX)

/* A client whose queued answers do not move for this long is dropped. */
#define ETSCOUNTER_STALL_MS		30000

/* The mode of the socket etscounterd binds (and `etscounter start` sets). */
#define ETSCOUNTER_SOCKET_MODE		0660

#endif /* ETSCOUNTER_H */
