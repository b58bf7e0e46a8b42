#include "CSHA256Pair.h"

static const uint32_t K256[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

// ---------------------------------------------------------------------------------------
// Portable code (FIPS 180-4, section 6.2.2).

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

void gm_sha256_blocks_portable(uint32_t state[8], const uint8_t *p, size_t blocks) {
    while (blocks--) {
        uint32_t w[64];
        for (int t = 0; t < 16; t++) {
            w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 | (uint32_t)p[4 * t + 2] << 8 | p[4 * t + 3];
        }
        for (int t = 16; t < 64; t++) {
            uint32_t s0 = ROTR(w[t - 15], 7) ^ ROTR(w[t - 15], 18) ^ (w[t - 15] >> 3);
            uint32_t s1 = ROTR(w[t - 2], 17) ^ ROTR(w[t - 2], 19) ^ (w[t - 2] >> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        for (int t = 0; t < 64; t++) {
            uint32_t t1 = h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + K256[t] + w[t];
            uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g; g = f; f = e; e = d + t1;
            d = c; c = b; b = a; a = t1 + t2;
        }
        state[0] += a; state[1] += b; state[2] += c; state[3] += d;
        state[4] += e; state[5] += f; state[6] += g; state[7] += h;
        p += 64;
    }
}

// ---------------------------------------------------------------------------------------
// SHA-NI (x86-64). The state lives in two vectors, ABEF and CDGH, as SHA256RNDS2 wants it.

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <cpuid.h>
#include <immintrin.h>

#define SHANI __attribute__((target("sha,sse4.1,ssse3")))

int gm_sha256_accelerated(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int sha = (b >> 29) & 1;
    return ssse3 && sse41 && sha;
}

SHANI static inline void load_state(const uint32_t h[8], __m128i *abef, __m128i *cdgh) {
    __m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xB1);  // CDAB
    __m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1B);  // EFGH
    *abef = _mm_alignr_epi8(dcba, efgh, 8);
    *cdgh = _mm_blend_epi16(efgh, dcba, 0xF0);
}

SHANI static inline void store_state(uint32_t h[8], __m128i abef, __m128i cdgh) {
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(feba, dchg, 0xF0));  // DCBA
    _mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(dchg, feba, 8));     // HGFE
}

// W[t] + K[t] for the 64 rounds of one block, four words per vector.
SHANI static inline void schedule(const uint8_t *p, __m128i wk[16]) {
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p)), bswap);
    __m128i m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), bswap);
    __m128i m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), bswap);
    __m128i m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), bswap);
    for (int i = 0; i < 16; i++) {
        wk[i] = _mm_add_epi32(m0, _mm_load_si128((const __m128i *)&K256[4 * i]));
        __m128i next = _mm_sha256msg2_epu32(
            _mm_add_epi32(_mm_sha256msg1_epu32(m0, m1), _mm_alignr_epi8(m3, m2, 4)), m3);
        m0 = m1; m1 = m2; m2 = m3; m3 = next;
    }
}

SHANI static void blocks_shani(uint32_t state[8], const uint8_t *p, size_t blocks) {
    __m128i abef, cdgh;
    load_state(state, &abef, &cdgh);
    while (blocks--) {
        __m128i wk[16];
        schedule(p, wk);
        __m128i abef0 = abef, cdgh0 = cdgh;
        for (int i = 0; i < 16; i++) {
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk[i]);
            abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk[i], 0x0E));
        }
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
        p += 64;
    }
    store_state(state, abef, cdgh);
}

SHANI static void blocks_pair_shani(uint32_t first[8], uint32_t second[8], const uint8_t *p, size_t blocks) {
    __m128i abef1, cdgh1, abef2, cdgh2;
    load_state(first, &abef1, &cdgh1);
    load_state(second, &abef2, &cdgh2);
    while (blocks--) {
        __m128i wk[16];
        schedule(p, wk);
        __m128i abef1s = abef1, cdgh1s = cdgh1, abef2s = abef2, cdgh2s = cdgh2;
        for (int i = 0; i < 16; i++) {
            __m128i high = _mm_shuffle_epi32(wk[i], 0x0E);
            cdgh1 = _mm_sha256rnds2_epu32(cdgh1, abef1, wk[i]);
            cdgh2 = _mm_sha256rnds2_epu32(cdgh2, abef2, wk[i]);
            abef1 = _mm_sha256rnds2_epu32(abef1, cdgh1, high);
            abef2 = _mm_sha256rnds2_epu32(abef2, cdgh2, high);
        }
        abef1 = _mm_add_epi32(abef1, abef1s);
        cdgh1 = _mm_add_epi32(cdgh1, cdgh1s);
        abef2 = _mm_add_epi32(abef2, abef2s);
        cdgh2 = _mm_add_epi32(cdgh2, cdgh2s);
        p += 64;
    }
    store_state(first, abef1, cdgh1);
    store_state(second, abef2, cdgh2);
}

static int accelerated = -1;  // decided once; a benign race (every thread computes the same)

static int use_shani(void) {
    int a = __atomic_load_n(&accelerated, __ATOMIC_RELAXED);
    if (a < 0) {
        a = gm_sha256_accelerated();
        __atomic_store_n(&accelerated, a, __ATOMIC_RELAXED);
    }
    return a;
}

void gm_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    if (use_shani()) blocks_shani(state, data, blocks);
    else gm_sha256_blocks_portable(state, data, blocks);
}

void gm_sha256_blocks_pair(uint32_t first[8], uint32_t second[8], const uint8_t *data, size_t blocks) {
    if (use_shani()) {
        blocks_pair_shani(first, second, data, blocks);
    } else {
        gm_sha256_blocks_portable(first, data, blocks);
        gm_sha256_blocks_portable(second, data, blocks);
    }
}

#else

int gm_sha256_accelerated(void) { return 0; }

void gm_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    gm_sha256_blocks_portable(state, data, blocks);
}

void gm_sha256_blocks_pair(uint32_t first[8], uint32_t second[8], const uint8_t *data, size_t blocks) {
    gm_sha256_blocks_portable(first, data, blocks);
    gm_sha256_blocks_portable(second, data, blocks);
}

#endif
