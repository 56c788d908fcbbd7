/*
 * tlspin.h - a GTlsDatabase that trusts exactly one certificate, known by
 * its SHA-256 fingerprint, and nothing else: for GIO and libsoup clients
 * that pin their server (riftgate's agent pins its signaling server).
 *
 * Without it, GIO loads the system's whole trust store for every TLS client
 * even when a pin decides: about 150 CA certificates decoded by libtasn1,
 * 6 MiB of heap in a process that needs none of them.
 *
 * verify_chain: 0 (trusted) when the chain's first certificate has the
 * fingerprint, else G_TLS_CERTIFICATE_UNKNOWN_CA; the identity (host name)
 * is not checked: the pin names the certificate exactly. Threading: GIO may
 * call it from a worker thread; it reads only its own immutable state.
 * Ownership: a new reference (g_object_unref).
 */
#pragma once

#include <gio/gio.h>
#include <stdint.h>

#include "core/tls.h"

GTlsDatabase *core_tls_pin_database_new(const uint8_t fp[CORE_TLS_FP_LEN]);
