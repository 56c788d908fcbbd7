/*
 * pc-priv.h - test hooks of pc.c, not for production code.
 */
#pragma once

#include <stdbool.h>

#include "rift/rtc/pc.h"

/* While hold is true, DTLS does not start even when ICE and the remote description are
 * there (to play a peer whose ICE is up first); setting it false starts it if due. */
void rg_pc_hold_dtls(struct rg_pc *pc, bool hold);
