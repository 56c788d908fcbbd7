/* fuzz.h - the libFuzzer entry points every fuzz target defines. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Run one input; abort() on any violated invariant. Always returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Optional one-time set-up (weak: targets may leave it out). */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
