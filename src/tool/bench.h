// ringsmb bench: load generation against an SMB server over N channels.
//
// Workloads (each for a fixed time, --seconds), run in this order:
//   seq-write   sequential writes of a large file (--file-size); the I/O
//               size is --io-size (default: the server's maximum), with
//               --depth lanes per channel (default 4 for 1 MiB and up)
//   seq-read    sequential reads of that file, starting over at its end
//   rand-read   random --block (4 KiB) reads at aligned offsets, --qd
//               lanes per channel
//   rand-write  random --block writes
//   meta        per lane: create a new file / write 4 KiB / close / stat /
//               (every 16th loop) list the directory / delete
// Every lane of every channel takes work from shared counters; the file
// handle is opened once and used on all channels. A file the reads need
// and no timed seq-write filled is written first, untimed. The test files
// live in a directory ringsmb-bench-<pid> under the URL's path and are
// removed at the end (unless --keep). --file reads an existing file
// (a path relative to the URL's path) instead; writes never touch it.
//
// Measured per workload: bytes and operations done in the wall time from
// the start until the last lane finished (lanes start no new operation
// after --seconds), each operation's latency (steady clock, from the call
// to its reply; for meta, each step of the mix is one operation: stat is
// the open/query/close helper, list the open/query-directory/close of the
// directory; meta's bytes are its 4 KiB writes), the SMB requests sent,
// and the CPU time (user + system, all threads) of this process.
//
// Output: a table, or with --json one JSON object: per workload the bytes
// and operations done, throughput (bytes/s), IOPS, latency percentiles
// (p50, p99, p99.9 in microseconds) and client CPU seconds. A failure
// stops the run with "ringsmb: bench WORKLOAD: STATUS_..." on stderr and
// exit code 1; the workloads done so far are still reported and the test
// directory still removed.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "tool/ops.h"
#include "tool/url.h"

namespace ringsmb::tool {

struct BenchOptions {
  std::vector<std::string> workloads = {"seq-read", "seq-write", "rand-read", "rand-write", "meta"};
  double seconds = 10;
  uint64_t file_size = 1ull << 30;  // the large file for sequential and random I/O
  uint32_t block = 4096;            // random I/O size
  unsigned qd = 32;                 // random I/O queue depth per channel
  unsigned meta_lanes = 16;         // concurrent metadata loops per channel
  bool json = false;
  bool keep = false;
  std::string reuse_file;  // read an existing file instead of writing one
};

// A CLI11 transform that turns "64K" into "65536" (K, M, G, T: powers of 1024).
CLI::Validator size_value();

void add_bench_options(CLI::App& cmd, BenchOptions& o);

// Runs the workloads; prints the results; returns the exit code (0, 1 for
// a failure, 2 for options that make no sense together).
int run_bench(const SmbUrl& url, const ClientOptions& co, const BenchOptions& bo);

}  // namespace ringsmb::tool
