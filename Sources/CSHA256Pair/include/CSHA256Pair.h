// SHA-256 compression of the same 64-byte blocks into two states at once.
//
// An upload's bytes go through SHA-256 twice: the linear hash (x-amz-content-sha256) and the
// current 1 MiB leaf of the tree hash (x-amz-sha256-tree-hash). Both streams see the same
// blocks at the same offsets (a leaf is a whole number of blocks), so the message schedule
// is computed once and the two chains of rounds run interleaved. With the x86 SHA
// extensions (SHA-NI) a single chain is bound by the latency of SHA256RNDS2, and a second,
// independent chain fills the gaps: two hashes cost little more than one. See
// ARCHITECTURE.md ("Two hashes, one pass") for the figures.
//
// Padding, lengths and leaf boundaries are handled by the caller (TreeHash's
// `TreeAndLinearHasher`); these functions only compress whole blocks.
#ifndef CSHA256PAIR_H
#define CSHA256PAIR_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has SHA-NI (with SSSE3 and SSE4.1), so the accelerated paths below are
/// used; 0 otherwise (the functions still work, with portable C code).
int gm_sha256_accelerated(void);

/// Compresses `blocks` 64-byte blocks of `data` into `state` (a, b, ..., h as words).
void gm_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/// Compresses the same blocks into `first` and into `second`.
void gm_sha256_blocks_pair(uint32_t first[8], uint32_t second[8], const uint8_t *data, size_t blocks);

/// The portable code path, whatever the CPU (so tests can check it against libcrypto).
void gm_sha256_blocks_portable(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
