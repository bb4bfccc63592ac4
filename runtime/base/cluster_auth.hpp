// Authentication of workers at registration (rill.authenticate.secret).
//
// Challenge–response: the driver sends a fresh random nonce; the worker
// answers with HMAC-SHA256(secret, nonce | node id | fingerprint); the driver
// computes the same and compares in constant time. The secret itself never
// crosses the wire, and a recorded answer is useless for another nonce.
#pragma once
#include <cstdint>
#include <string>

namespace rill {

// 32 random bytes from the operating system, hex-encoded.
std::string make_registration_nonce();

// The worker's answer to `nonce` (hex). An empty secret is a secret too: a
// driver without one accepts only workers without one, and the reverse.
std::string registration_proof(const std::string& secret, const std::string& nonce, const std::string& node_id,
                               uint64_t fingerprint);

// Equal proofs, compared in time independent of where they differ.
bool proofs_match(const std::string& expected, const std::string& offered);

// A graph fingerprint as printed in logs and errors (16 hex digits).
std::string fingerprint_hex(uint64_t fingerprint);

}  // namespace rill
