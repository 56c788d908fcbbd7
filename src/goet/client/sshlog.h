/*
 * sshlog.h - the bootstrap ssh's stderr under -v: when the command left,
 * and what ssh would have printed without -v.
 *
 * The session binds its port a few milliseconds after ssh's exec request
 * reaches it, and the predial's datagrams travel the same way: the moment
 * OpenSSH logs "debug1: Sending command:" is the moment to send them
 * densely (gt_predial_hurry), a copy then lands within a millisecond of the
 * bind instead of 5 ms on average. Nothing else tells that moment: ssh reads
 * its stdin only once the exec request has been answered, a round trip later.
 *
 * The bootstrap adds -v only for OpenSSH (gt_sshlog_base_is_openssh); what
 * -v adds to stderr (the version banner, "debug1:" lines, the "Authenticated
 * to", "Transferred:" and "Bytes per second:" lines) is dropped, the rest
 * (errors, warnings) kept for the messages ssh's failures print.
 *
 * Pure: no I/O. Ownership: the caller owns the struct (gt_sshlog_init,
 * then gt_sshlog_take). Threading: one thread.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#define GT_SSHLOG_KEEP_MAX (64 * 1024) /* kept text beyond this is dropped */
#define GT_SSHLOG_LINE_MAX 4096	       /* a longer line is cut there */

struct gt_sshlog {
	GString *kept; /* the lines ssh prints without -v */
	GString *line; /* the line being read */
	bool command_sent;
};

void gt_sshlog_init(struct gt_sshlog *l);

/*
 * Read n bytes of ssh's stderr. Returns true when they end the "debug1:
 * Sending command:" line (once per log; later ones return false).
 */
bool gt_sshlog_feed(struct gt_sshlog *l, const char *p, size_t n);

/* What was kept, an unfinished last line included (allocated, trimmed); l is freed. */
char *gt_sshlog_take(struct gt_sshlog *l);

/* Whether the ssh command base runs OpenSSH's client: its program's name is "ssh". */
bool gt_sshlog_base_is_openssh(const char *const *base);
