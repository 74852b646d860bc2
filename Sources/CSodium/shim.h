#ifndef SEEDLORA_CSODIUM_SHIM_H
#define SEEDLORA_CSODIUM_SHIM_H
#include <sodium.h>
// The streaming states are opaque here: Swift allocates them with the size and alignment libsodium
// reports (crypto_generichash_state is 64-byte aligned, which an imported struct would not keep).
static inline size_t seedlora_generichash_statebytes(void) { return crypto_generichash_statebytes(); }
static inline int seedlora_generichash_init(void *state, size_t outlen) {
    return crypto_generichash_init((crypto_generichash_state *)state, NULL, 0, outlen);
}
static inline int seedlora_generichash_update(void *state, const void *in, size_t inlen) {
    return crypto_generichash_update((crypto_generichash_state *)state, (const unsigned char *)in, (unsigned long long)inlen);
}
static inline int seedlora_generichash_final(void *state, unsigned char *out, size_t outlen) {
    return crypto_generichash_final((crypto_generichash_state *)state, out, outlen);
}
static inline size_t seedlora_hmacsha256_statebytes(void) { return crypto_auth_hmacsha256_statebytes(); }
static inline int seedlora_hmacsha256_init(void *state, const void *key, size_t keylen) {
    return crypto_auth_hmacsha256_init((crypto_auth_hmacsha256_state *)state, (const unsigned char *)key, keylen);
}
static inline int seedlora_hmacsha256_update(void *state, const void *in, size_t inlen) {
    return crypto_auth_hmacsha256_update((crypto_auth_hmacsha256_state *)state, (const unsigned char *)in, (unsigned long long)inlen);
}
static inline int seedlora_hmacsha256_final(void *state, unsigned char *out) {
    return crypto_auth_hmacsha256_final((crypto_auth_hmacsha256_state *)state, out);
}
#endif
