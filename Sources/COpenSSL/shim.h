// The system's libcrypto (Debian: libssl-dev): SHA-256 for the hashes, HMAC-SHA256 for
// SigV4 request signatures.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
