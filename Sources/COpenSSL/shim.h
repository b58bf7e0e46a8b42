// The system's libcrypto (Debian: libssl-dev). Only SHA-256 is used.
#include <openssl/evp.h>
#include <openssl/sha.h>
