/*
 * Fuzz target for the ssh bootstrap's parsing of what the remote (and ssh)
 * print (goet/client/ssh.h): the first byte chooses the parser, the rest is
 * the text (up to its first NUL, as the C string the client holds).
 *   0  a destination "[user@]host" (from the command line or a listing)
 *   1  `goet --version` output: the remote goet's commit
 *   2  `uname -sm` output: the remote system
 *   3  `ssh -G` output: the host name ssh really connects to
 *   4  a -J value (ssh's ProxyJump list): its first hop
 * Invariants: no crash or leak; what a parser returns is a non-empty word
 * of the text (no white space in it, no '@' in a host, a host never starts
 * with '-', which ssh would take as an option), and a destination splits
 * back into exactly the text; a -J hop's host holds only name or address
 * characters, a refused -J value says why and leaves no hop.
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "core/err.h"
#include "goet/client/ssh.h"

/* A non-empty word of text: no white space in it. */
static void check_word(const char *w, const char *text)
{
	if (w == NULL || w[0] == '\0' || strpbrk(w, " \t\r\n") != NULL || strstr(text, w) == NULL)
		abort();
}

static void check_dest(const char *text)
{
	char *user = NULL, *host = NULL, *back;

	if (gt_ssh_parse_dest(text, &user, &host) != CORE_OK) {
		if (user != NULL || host != NULL)
			abort();
		return;
	}
	if (host == NULL || host[0] == '\0' || host[0] == '-' || strchr(host, '@') != NULL)
		abort();
	back = user != NULL ? g_strconcat(user, "@", host, NULL) : g_strdup(host);
	/* "@host" keeps no user: the text is the host after its '@' */
	if (strcmp(back, text) != 0 &&
	    !(user == NULL && text[0] == '@' && strcmp(host, text + 1) == 0))
		abort();
	g_free(back);
	g_free(user);
	g_free(host);
}

static void check_version(const char *text)
{
	char *commit = NULL;

	if (gt_ssh_parse_version(text, &commit) != CORE_OK) {
		if (commit != NULL)
			abort();
		return;
	}
	check_word(commit, text);
	g_free(commit);
}

static void check_uname(const char *text)
{
	char *os = NULL, *machine = NULL;

	if (gt_ssh_parse_uname(text, &os, &machine) != CORE_OK) {
		if (os != NULL || machine != NULL)
			abort();
		return;
	}
	check_word(os, text);
	check_word(machine, text);
	g_free(os);
	g_free(machine);
}

static void check_hostname(const char *text)
{
	char *host = gt_ssh_config_hostname(text);
	size_t n;

	if (host == NULL)
		return;
	n = strlen(host);
	if (n == 0 || strchr(host, '\n') != NULL || g_ascii_isspace(host[0]) ||
	    g_ascii_isspace(host[n - 1]) || strstr(text, host) == NULL)
		abort();
	g_free(host);
}

static void check_jump(const char *text)
{
	struct gt_ssh_hop h;
	char err[160] = "";

	if (gt_ssh_jump_parse(text, &h, err, sizeof(err)) != CORE_OK) {
		if (h.user != NULL || h.host != NULL || h.port != 0 || err[0] == '\0')
			abort();
		return;
	}
	if (h.host == NULL || h.host[0] == '\0' || h.host[0] == '-' ||
	    strspn(h.host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_%:") !=
		    strlen(h.host) ||
	    strstr(text, h.host) == NULL)
		abort();
	if (h.user != NULL &&
	    (h.user[0] == '\0' || strpbrk(h.user, " \t/,") != NULL || strstr(text, h.user) == NULL))
		abort();
	gt_ssh_hop_clear(&h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const parsers[])(const char *) = { check_dest, check_version, check_uname,
							 check_hostname, check_jump };
	char *text;

	if (size == 0)
		return 0;
	text = g_strndup((const char *)data + 1, size - 1);
	parsers[data[0] % G_N_ELEMENTS(parsers)](text);
	g_free(text);
	return 0;
}
