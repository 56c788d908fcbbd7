/* Unit tests for goet/notice: the exact bytes of the "connection lost" line. */
#include <glib.h>
#include <string.h>

#include "goet/notice.h"

static void test_show(void)
{
	char out[GT_NOTICE_MAX];
	size_t n = gt_notice_show(out, 5 * G_USEC_PER_SEC + 999999, 80);

	g_assert_cmpstr(out, ==,
			"\0337\033[1;1H\033[2K\033[7m goet: connection lost, retrying; last "
			"contact 5 s ago (~. quits) \033[0m\0338");
	g_assert_cmpuint(n, ==, strlen(out));
}

/* Never wider than the terminal less one column: a wrap would scroll the screen. */
static void test_narrow(void)
{
	char out[GT_NOTICE_MAX];

	gt_notice_show(out, 12 * G_USEC_PER_SEC, 21);
	g_assert_cmpstr(out, ==, "\0337\033[1;1H\033[2K\033[7m goet: connection lo\033[0m\0338");
	gt_notice_show(out, 0, 1);
	g_assert_cmpstr(out, ==, "\0337\033[1;1H\033[2K\033[7m\033[0m\0338");
	gt_notice_show(out, -5, 0); /* unknown width: 80; a clock step back: 0 s */
	g_assert_nonnull(strstr(out, "last contact 0 s ago"));
}

static void test_clear(void)
{
	char out[GT_NOTICE_MAX];

	g_assert_cmpuint(gt_notice_clear(out), ==, 14);
	g_assert_cmpstr(out, ==, "\0337\033[1;1H\033[2K\0338");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/notice/show", test_show);
	g_test_add_func("/notice/narrow", test_narrow);
	g_test_add_func("/notice/clear", test_clear);
	return g_test_run();
}
