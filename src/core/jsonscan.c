/* jsonscan.c - checks on hostile JSON text (contract in jsonscan.h). */
#include "core/jsonscan.h"

#include <string.h>

int core_json_depth(const char *text, size_t len)
{
	int depth = 0, max = 0;
	bool in_str = false, esc = false;

	for (size_t i = 0; i < len; i++) {
		char ch = text[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (ch == '\\')
				esc = true;
			else if (ch == '"')
				in_str = false;
		} else if (ch == '"') {
			in_str = true;
		} else if (ch == '[' || ch == '{') {
			/* not inside a MAX(): it would count the level twice */
			if (++depth > max)
				max = depth;
		} else if (ch == ']' || ch == '}') {
			depth--;
		}
	}
	return max;
}

bool core_json_escaped_nul(const char *text, size_t len)
{
	for (size_t i = 0; i + 6 <= len; i++)
		if (text[i] == '\\' && (text[i + 1] == 'u' || text[i + 1] == 'U') &&
		    memcmp(text + i + 2, "0000", 4) == 0)
			return true;
	return false;
}
