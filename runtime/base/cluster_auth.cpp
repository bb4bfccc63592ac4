#include "runtime/base/cluster_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdio>

#include "runtime/base/errors.hpp"

namespace rill {
namespace {

std::string to_hex(const unsigned char* data, size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 15]);
  }
  return out;
}

}  // namespace

std::string make_registration_nonce() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw RillError("cannot draw random bytes for a registration nonce");
  return to_hex(bytes, sizeof bytes);
}

std::string registration_proof(const std::string& secret, const std::string& nonce, const std::string& node_id,
                               uint64_t fingerprint) {
  const std::string message = nonce + "|" + node_id + "|" + fingerprint_hex(fingerprint);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length))
    throw RillError("cannot compute the registration proof (HMAC-SHA256)");
  return to_hex(mac, length);
}

bool proofs_match(const std::string& expected, const std::string& offered) {
  return expected.size() == offered.size() && CRYPTO_memcmp(expected.data(), offered.data(), expected.size()) == 0;
}

std::string fingerprint_hex(uint64_t fingerprint) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(fingerprint));
  return text;
}

}  // namespace rill
