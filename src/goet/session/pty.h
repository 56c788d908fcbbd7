/*
 * pty.h - the session's shell on a pseudo-terminal, driven by the main loop;
 * or (cfg->pipes, `goet host -- cmd`) a command with stdin, stdout and stderr
 * on three pipes, in a session of its own, with no terminal.
 *
 * Spawn: a login shell ($SHELL, else /bin/sh, argv[0] "-" + basename) in a
 * new session with the PTY slave as controlling terminal and stdio, in the
 * session's working directory, with the session's environment minus TERM,
 * plus TERM=<sanitised> and GOET_SESSION=<id>. Initial size 24 x 80.
 *
 * I/O never blocks the loop: output is read when the master is readable and
 * handed to the `output` callback; input goes through a bounded queue that
 * is written as the master accepts it (gt_pty_write returns CORE_ERR_AGAIN
 * when full; `writable` fires when there is room again).
 *
 * End: when the shell exits, every byte it wrote is delivered to `output`
 * before `exited` runs (the reference could lose the last output).
 * gt_pty_hangup closes the master (the kernel sends SIGHUP; on pipes: the
 * pipes, and SIGHUP to the command's process group), waits the grace
 * period, then SIGKILLs the shell's whole process group (the reference
 * killed only the shell, leaving its children).
 *
 * Ownership: the caller owns the gt_pty and frees it after `exited` (or
 * after gt_pty_hangup's `exited`). Threading: main-loop thread only.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define GT_PTY_ROWS	       24
#define GT_PTY_COLS	       80
#define GT_PTY_READ_BYTES      32768 /* the reference's read size */
#define GT_PTY_QUEUE_BYTES     (1024 * 1024)
#define GT_PTY_HANGUP_GRACE_MS 2000 /* SIGHUP, then this long, then SIGKILL */

struct gt_pty;

struct gt_pty_callbacks {
	/* Output from the shell (borrowed for the call). */
	void (*output)(struct gt_pty *p, const uint8_t *data, size_t n, void *user);
	/* Room in the input queue again after CORE_ERR_AGAIN. */
	void (*writable)(struct gt_pty *p, void *user);
	/* The shell is gone; status as from waitpid. All output was delivered first. */
	void (*exited)(struct gt_pty *p, int status, void *user);
	/* Pipes only: the command's stderr (NULL: to `output`). */
	void (*err_output)(struct gt_pty *p, const uint8_t *data, size_t n, void *user);
};

struct gt_pty_config {
	const char *term;	 /* already sanitised (term.h) */
	const char *session_id;	 /* for GOET_SESSION */
	const char *const *argv; /* run this instead of the login shell (tests, commands) */
	bool pipes;		 /* stdin, stdout, stderr on pipes, no terminal */
};

/* Start the shell: CORE_OK, or CORE_ERR_SYSTEM with *error set. */
int gt_pty_spawn(const struct gt_pty_config *cfg, const struct gt_pty_callbacks *cb, void *user,
		 struct gt_pty **out, GError **error);
void gt_pty_free(struct gt_pty *p);

pid_t gt_pty_pid(const struct gt_pty *p);

/* Set the window size (TIOCSWINSZ, pixels 0): CORE_OK or CORE_ERR_SYSTEM. */
int gt_pty_resize(struct gt_pty *p, uint16_t rows, uint16_t cols);
/* Read the window size: CORE_OK or CORE_ERR_SYSTEM. */
int gt_pty_size(struct gt_pty *p, uint16_t *rows, uint16_t *cols);
/*
 * Shrink by one row (if rows > 1), so that the client's real size that
 * follows is a genuine change and full-screen programs redraw.
 */
int gt_pty_bounce(struct gt_pty *p);

/* Stop (or resume) reading output: back-pressure from a full connection. */
void gt_pty_pause_output(struct gt_pty *p, bool paused);

/* Queue input: CORE_OK, CORE_ERR_AGAIN (queue full), CORE_ERR_CLOSED. */
int gt_pty_write(struct gt_pty *p, const void *data, size_t n);
/* Pipes: close the command's stdin once the queued input is written (its EOF). */
void gt_pty_close_input(struct gt_pty *p);
/* Is it a command on pipes (resize and bounce do nothing)? */
bool gt_pty_is_pipes(const struct gt_pty *p);

/* End the shell: close the master, SIGHUP, grace_ms, SIGKILL to its group. */
void gt_pty_hangup(struct gt_pty *p, unsigned grace_ms);
