// SPDX-License-Identifier: Apache-2.0
// SHA-256 (FIPS 180-4): the fingerprint of source models, weight blobs and calibration states.
// Small enough to carry here rather than depend on a crypto library for one hash.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace qf {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // The digest as 64 lowercase hex digits; the object is spent afterwards.
  std::string hex_digest();

 private:
  void block(const uint8_t* p);
  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t length_ = 0;
};

std::string sha256_hex(std::string_view data);
// The digest of a file's bytes; bad_input when it cannot be read.
Result<std::string> sha256_file(const std::string& path);

}  // namespace qf
