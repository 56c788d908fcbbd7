/*
 * crc32c.h - CRC32c (Castagnoli; RFC 9260 Appendix A), the checksum of
 * every SCTP packet we send. Pure: no state, any thread.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * The CRC32c of buf (0xe3069283 for "123456789"): with the SSE4.2
 * instruction where the CPU has it, else rg_crc32c_portable. SCTP's
 * checksum field holds it least significant byte first.
 */
uint32_t rg_crc32c(const uint8_t *buf, size_t len);

/* The same, four bits at a time from a 16-entry table, on any CPU. */
uint32_t rg_crc32c_portable(const uint8_t *buf, size_t len);
