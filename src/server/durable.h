// Durable handles and CREATE replay detection (MS-SMB2 3.3.5.9.6,
// 3.3.5.9.7, 3.3.5.9.10, 3.3.5.9.12, 3.3.7.1).
//
// An open that holds a batch oplock or a lease with H may be made durable
// (v1 "DHnQ", v2 "DH2Q"). When its connection is lost it is preserved:
// it keeps its file, share mode, oplock or lease, and a later CREATE with
// a reconnect context ("DHnC", "DH2C") on any connection of the same user
// takes it over. It is closed when the timeout passes first (v2: what the
// client asked for, 60 s for 0, at most 300 s, as Samba; v1: 60 s), on
// LOGOFF, and when the server stops. Persistent handles are not offered.
//
// A DH2Q CreateGuid also identifies the open for replays: a CREATE with
// SMB2_FLAGS_REPLAY_OPERATION and the CreateGuid of an open of the same
// client answers with that open instead of opening again.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rt/task.h"
#include "server/state.h"
#include "wire/durable.h"

namespace ringsmb::server {

class Server;
struct Request;
struct Response;
struct LeaseAsk;

inline constexpr uint32_t kDurableDefaultTimeoutMs = 60 * 1000;
inline constexpr uint32_t kDurableMaxTimeoutMs = 300 * 1000;

// What a CREATE's contexts say about durability.
struct DurableAsk {
  bool v1 = false;  // DHnQ
  bool v2 = false;  // DH2Q
  wire::DurableV2Request v2req;
  std::optional<wire::DurableReconnect> reconnect;  // DHnC or DH2C
  bool reconnect_v2 = false;
};
// STATUS_INVALID_PARAMETER for malformed contexts and for the combinations
// 3.3.5.9 refuses (a v2 context next to any other durable context, DHnC
// next to DH2Q). Durable contexts on SMB 2.0.2 count too; v2 ones are
// ignored below SMB 3.x.
wire::Result<DurableAsk> durable_ask_of(const std::vector<wire::CreateContext>& contexts,
                                        uint16_t dialect);

// The v2 timeout the server grants for a requested one.
uint32_t durable_v2_timeout(uint32_t requested_ms);

class DurableTable {
 public:
  // An open made with a CreateGuid, for replays.
  void add(const std::shared_ptr<Open>& o);
  std::shared_ptr<Open> find_create_guid(const wire::Guid& client, const wire::Guid& create_guid);
  // The open is closing: it is gone from the table.
  void forget(const Open& o);
  void preserve(const std::shared_ptr<Open>& o);
  std::shared_ptr<Open> find_preserved(uint64_t persistent_id);
  // Takes a preserved open out of the table (a reconnect); null if none.
  std::shared_ptr<Open> reclaim(uint64_t persistent_id);
  // The timeout passed: true when the open was still preserved (now taken out).
  bool expire(const std::shared_ptr<Open>& o);
  // The server stops: every preserved open is released now.
  void release_all();

 private:
  using Key = std::array<uint8_t, 32>;
  static Key key_of(const wire::Guid& client, const wire::Guid& create_guid);
  std::mutex mu_;
  std::map<Key, std::weak_ptr<Open>> by_create_guid_;
  std::unordered_map<uint64_t, std::shared_ptr<Open>> preserved_;
};

// Keeps a durable open of a lost connection for its timeout (on the
// current worker, which it holds until then).
void preserve_open(Server& server, std::shared_ptr<Open> open);

// After CREATE granted its oplock or lease (lease_state: the lease's state,
// 0 without one): makes the open durable when the request asks and the
// grant allows it, and returns the response context.
std::optional<std::pair<std::string, std::vector<uint8_t>>> grant_durable(
    Server& server, const std::shared_ptr<Open>& open, const DurableAsk& ask, uint32_t lease_state);

// A CREATE with DHnC or DH2C: takes over the preserved open it names.
rt::Task<void> reconnect_durable(Request& req, Response& resp, const DurableAsk& ask,
                                 const LeaseAsk* lease, wire::Bytes name);

// A CREATE with SMB2_FLAGS_REPLAY_OPERATION and a DH2Q CreateGuid of a live
// open of this client: answers for that open. False when there is none.
bool replay_create(Request& req, Response& resp, const wire::CreateRequest& q,
                   const DurableAsk& ask, const LeaseAsk* lease);

}  // namespace ringsmb::server
