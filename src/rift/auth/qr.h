/*
 * qr.h - a QR code for the terminal (libqrencode): what `riftgate server
 * invite` shows with a join URL and `riftgate qr` with the server's.
 *
 * Two modules per character cell, with the half blocks U+2580 (upper),
 * U+2584 (lower) and the full block U+2588, light modules drawn and dark
 * ones left blank, and a quiet zone of RG_QR_MARGIN light modules around:
 * the code reads right on a terminal with a dark background (as
 * `qrencode -t UTF8` draws it). Error correction level M.
 *
 * Pure. Threading: none (libqrencode keeps no state between calls here).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_QR_MARGIN 2

/* The lines of the code for text (g_free), or NULL when text is too long for a QR code. */
char *rg_qr_render(const char *text);
/*
 * The symbol's modules (1 dark, 0 light), size x size, row by row
 * (g_free), or NULL: what rg_qr_render draws, for tests.
 */
uint8_t *rg_qr_modules(const char *text, unsigned *size);
