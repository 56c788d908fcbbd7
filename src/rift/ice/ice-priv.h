/*
 * ice-priv.h - test hooks of ice.c, not for production code.
 */
#pragma once

#include "rift/ice/ice.h"

/* SO_RCVBUF or SO_SNDBUF (optname) of the selected pair's socket as the kernel reports it
 * (twice what was set), or -1 when no pair is selected or it is relayed. */
int rg_ice_socket_buffer(struct rg_ice *ice, int optname);
