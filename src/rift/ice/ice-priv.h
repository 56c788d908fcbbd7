/*
 * ice-priv.h - test hooks of ice.c, not for production code.
 */
#pragma once

#include "rift/ice/ice.h"

/* SO_RCVBUF or SO_SNDBUF (optname) of the selected pair's socket as the kernel reports it
 * (twice what was set), or -1 when no pair is selected or it is relayed. */
int rg_ice_socket_buffer(struct rg_ice *ice, int optname);
/* UDP_GRO's rest after a stray datagram on the batch receiver (batchrx.h), in ms (60000). */
void rg_ice_test_gro_rest(unsigned ms);
