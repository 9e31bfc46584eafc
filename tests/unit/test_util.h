// Shared helpers for the unit tests: request builders for the SMB2 codec,
// a temporary directory, and a driver that runs one coroutine to completion
// on an io_uring owned by the test thread.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rt/ring.h"
#include "rt/task.h"
#include "wire/header.h"
#include "wire/le.h"
#include "wire/writer.h"

namespace ringsmb::testing {

// ------------------------------------------------------------- SMB2 requests

// A request under construction: the 64-byte header is written first, the
// body follows. body(off) is the absolute position of a body offset.
class Req {
 public:
  explicit Req(uint16_t command, uint64_t message_id = 7) {
    w_.zeros(wire::kHeaderSize);
    wire::Header h;
    h.command = command;
    h.message_id = message_id;
    h.credits = 1;
    h.tree_id = 0x11;
    h.session_id = 0x2233;
    wire::encode_header(w_.data(), h);
  }
  wire::Writer& w() { return w_; }
  size_t size() const { return w_.size(); }
  static constexpr size_t body(size_t off) { return wire::kHeaderSize + off; }
  void put8(size_t body_off, uint8_t v) { w_.data()[body(body_off)] = v; }
  void put16(size_t body_off, uint16_t v) { w_.put16(body(body_off), v); }
  void put32(size_t body_off, uint32_t v) { w_.put32(body(body_off), v); }
  void put64(size_t body_off, uint64_t v) { w_.put64(body(body_off), v); }
  std::vector<uint8_t> bytes() const { return {w_.bytes().begin(), w_.bytes().end()}; }

 private:
  // Plenty of capacity up front, so request builders never reallocate.
  wire::Writer w_{1 << 20};
};

inline wire::Bytes as_bytes(const std::vector<uint8_t>& v) { return {v.data(), v.size()}; }
inline wire::Bytes as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::vector<uint8_t> vec(wire::Bytes b) { return {b.begin(), b.end()}; }
inline std::vector<uint8_t> vec(std::string_view s) { return {s.begin(), s.end()}; }
inline std::string str(wire::Bytes b) { return {b.begin(), b.end()}; }

// Spans compare by content in tests.
inline bool same(wire::Bytes a, wire::Bytes b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// True when b lies inside (or is) the storage of v.
inline bool inside(wire::Bytes b, const std::vector<uint8_t>& v) {
  return b.empty() || (b.data() >= v.data() && b.data() + b.size() <= v.data() + v.size());
}

// --------------------------------------------------------------- temp files

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/ringsmb-test-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
      return;
    }
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(std::string_view rel) const { return path_ + "/" + std::string(rel); }

 private:
  std::string path_;
};

// ---------------------------------------------------------------- coroutines

// A ring owned by the test thread and installed as Ring::current() for the
// lifetime of the object.
class TestRing {
 public:
  explicit TestRing(unsigned entries = 256) : ring_(entries), prev_(rt::Ring::current()) {
    rt::Ring::set_current(&ring_);
  }
  ~TestRing() { rt::Ring::set_current(prev_); }
  rt::Ring& ring() { return ring_; }

  // Spawns t and drives the ring until it has finished.
  template <class T>
  T run(rt::Task<T> t) {
    std::optional<T> out;
    bool done = false;
    rt::spawn(wrap(std::move(t), &out, &done));
    while (!done) ring_.run_once(true);
    return std::move(*out);
  }
  void run(rt::Task<void> t) {
    bool done = false;
    rt::spawn(wrap_void(std::move(t), &done));
    while (!done) ring_.run_once(true);
  }

 private:
  template <class T>
  static rt::Task<void> wrap(rt::Task<T> t, std::optional<T>* out, bool* done) {
    out->emplace(co_await std::move(t));
    *done = true;
  }
  static rt::Task<void> wrap_void(rt::Task<void> t, bool* done) {
    co_await std::move(t);
    *done = true;
  }
  rt::Ring ring_;
  rt::Ring* prev_;
};

}  // namespace ringsmb::testing
