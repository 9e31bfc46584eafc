// Writes the seed corpora of the fuzz targets: valid encodings from the
// project's own encoders (the client half of the codec for the server's
// decoders, the server half for the client's, the NTLMSSP and SPNEGO
// builders of both sides), so that every target starts from inputs its
// decoders accept. Run as `make_seeds DIR`; it creates DIR/<target>/<name>
// files. These seeds are generated, never committed; what real servers and
// clients sent is in fuzz/captured/ (fuzz/capture.sh).
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/ntlm_client.h"
#include "auth/ntlm_server.h"
#include "auth/ntlmssp.h"
#include "auth/spnego.h"
#include "auth/userdb.h"
#include "client/replies.h"
#include "client_sim.h"
#include "wire/client.h"
#include "wire/fscc.h"
#include "wire/header.h"
#include "wire/messages.h"
#include "wire/smb2.h"
#include "wire/transform.h"
#include "wire/utf16.h"
#include "wire/validate.h"
#include "wire/writer.h"

namespace w = ringsmb::wire;
namespace a = ringsmb::auth;
namespace c = ringsmb::client;
namespace fsys = std::filesystem;

namespace {

fsys::path g_root;

void put(const std::string& target, const std::string& name, const std::vector<uint8_t>& b) {
  fsys::path dir = g_root / target;
  fsys::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
void put(const std::string& target, const std::string& name, std::string_view s) {
  put(target, name, std::vector<uint8_t>(s.begin(), s.end()));
}

// One request: header then body, as the client connection builds it.
template <class Encode>
std::vector<uint8_t> request(w::Command cmd, Encode encode, uint64_t message_id = 1,
                             uint32_t flags = 0) {
  w::Writer wr;
  wr.zeros(w::kHeaderSize);
  encode(wr);
  w::Header h;
  h.command = static_cast<uint16_t>(cmd);
  h.credit_charge = 1;
  h.credits = 1;
  h.message_id = message_id;
  h.flags = flags;
  h.tree_id = 1;
  h.session_id = 0x1000000000001ull;
  encode_header(wr.data(), h);
  return wr.vec();
}

// Chains requests: each but the last padded to 8 bytes, NextCommand set.
std::vector<uint8_t> chain(std::vector<std::vector<uint8_t>> msgs) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i < msgs.size(); ++i) {
    auto& m = msgs[i];
    if (i + 1 < msgs.size()) {
      m.resize((m.size() + 7) & ~size_t{7}, 0);
      w::st32(m.data() + 20, static_cast<uint32_t>(m.size()));
    }
    out.insert(out.end(), m.begin(), m.end());
  }
  return out;
}

std::vector<uint8_t> with_selector(uint8_t sel, const std::vector<uint8_t>& b) {
  std::vector<uint8_t> out{sel};
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// A seed the validator refuses only exercises the refusal: say so.
void check(const std::string& name, const std::vector<uint8_t>& frame) {
  std::vector<w::MessageSpan> spans;
  bool ok = w::split_compound(frame, spans) == w::Verdict::Ok;
  for (const auto& s : spans)
    ok = ok && w::validate_request(w::Bytes(frame).subspan(s.offset, s.length)) == w::Verdict::Ok;
  if (!ok) std::fprintf(stderr, "make_seeds: warning: seed %s is not a valid request\n", name.c_str());
}

std::vector<uint8_t> u16(std::string_view s) { return w::utf8_to_utf16le(s); }

void wire_seeds(std::vector<uint8_t>* spnego_init) {
  const std::string t = "fuzz_validate";
  std::vector<std::vector<uint8_t>> all;
  auto add = [&](const std::string& name, std::vector<uint8_t> m) {
    check(name, m);
    put(t, name, m);
    all.push_back(std::move(m));
  };

  static const uint8_t salt[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
  auto pre = w::preauth_context(salt);
  auto ciphers = w::u16_list_context({w::cipher::AES128_GCM, w::cipher::AES128_CCM});
  auto sigs = w::u16_list_context({w::signalg::HMAC_SHA256});
  {
    w::NegotiateRequest q;
    q.security_mode = 1;
    q.capabilities = 0x7f;
    q.client_guid.b[0] = 0x42;
    q.dialects = {0x0202, 0x0210, 0x0300, 0x0302, 0x0311};
    q.contexts = {{w::negctx::PREAUTH_INTEGRITY_CAPABILITIES, pre},
                  {w::negctx::ENCRYPTION_CAPABILITIES, ciphers},
                  {w::negctx::SIGNING_CAPABILITIES, sigs}};
    add("negotiate311", request(w::Command::Negotiate, [&](w::Writer& wr) { w::encode_request(wr, q); }, 0));
    q.dialects = {0x0202, 0x0210};
    q.contexts.clear();
    add("negotiate210", request(w::Command::Negotiate, [&](w::Writer& wr) { w::encode_request(wr, q); }, 0));
  }
  {
    w::SessionSetupRequest q;
    q.security_mode = 1;
    q.security_buffer = *spnego_init;
    add("session_setup", request(w::Command::SessionSetup, [&](w::Writer& wr) { w::encode_request(wr, q); }));
  }
  auto tree = u16("\\\\server\\share");
  {
    w::TreeConnectRequest q;
    q.path = tree;
    add("tree_connect", request(w::Command::TreeConnect, [&](w::Writer& wr) { w::encode_request(wr, q); }));
  }
  auto name = u16("dir\\file.txt:stream:$DATA");
  static const uint8_t ea[] = {0, 0, 0, 0, 0, 4, 3, 0, 'u', 's', 'e', 'r', 0, 'a', 'b', 'c'};
  static const uint8_t lease[32] = {};
  w::CreateRequest cq;
  cq.desired_access = 0x12019f;
  cq.share_access = 7;
  cq.disposition = 3;
  cq.options = 0x40;
  cq.name = name;
  cq.contexts = {{w::Bytes(reinterpret_cast<const uint8_t*>("ExtA"), 4), w::Bytes(ea)},
                 {w::Bytes(reinterpret_cast<const uint8_t*>("MxAc"), 4), {}},
                 {w::Bytes(reinterpret_cast<const uint8_t*>("RqLs"), 4), w::Bytes(lease)}};
  auto create = request(w::Command::Create, [&](w::Writer& wr) { w::encode_request(wr, cq); });
  add("create", create);
  w::FileId fid{0x11, 0x22};
  w::FileId related{~uint64_t{0}, ~uint64_t{0}};
  add("close", request(w::Command::Close, [&](w::Writer& wr) { w::encode_request(wr, w::CloseRequest{1, fid}); }));
  add("flush", request(w::Command::Flush, [&](w::Writer& wr) { w::encode_request(wr, w::FlushRequest{fid}); }));
  w::ReadRequest rq;
  rq.length = 65536;
  rq.offset = 4096;
  rq.file_id = fid;
  add("read", request(w::Command::Read, [&](w::Writer& wr) { w::encode_request(wr, rq); }));
  static const uint8_t payload[] = "hello, world";
  w::WriteRequest wq;
  wq.offset = 10;
  wq.file_id = fid;
  wq.data = w::Bytes(payload, sizeof payload);
  wq.length = sizeof payload;
  add("write", request(w::Command::Write, [&](w::Writer& wr) { w::encode_request(wr, wq); }));
  w::LockRequest lq;
  lq.file_id = fid;
  lq.locks = {{0, 100, w::LOCKFLAG_EXCLUSIVE}, {200, 10, w::LOCKFLAG_SHARED | w::LOCKFLAG_FAIL_IMMEDIATELY}};
  add("lock", request(w::Command::Lock, [&](w::Writer& wr) { w::encode_request(wr, lq); }));
  static const uint8_t vni[24] = {0x02, 0, 0, 0, 0, 0, 0, 0};
  w::IoctlRequest iq;
  iq.ctl_code = 0x00140204;  // FSCTL_VALIDATE_NEGOTIATE_INFO
  iq.file_id = {~uint64_t{0}, ~uint64_t{0}};
  iq.input = vni;
  iq.max_output_response = 65536;
  iq.flags = 1;
  add("ioctl", request(w::Command::Ioctl, [&](w::Writer& wr) { w::encode_request(wr, iq); }));
  auto pattern = u16("*.txt");
  w::QueryDirectoryRequest dq;
  dq.info_class = 37;  // FileIdBothDirectoryInformation
  dq.file_id = fid;
  dq.pattern = pattern;
  dq.output_length = 65536;
  add("query_directory", request(w::Command::QueryDirectory, [&](w::Writer& wr) { w::encode_request(wr, dq); }));
  w::ChangeNotifyRequest nq;
  nq.output_length = 4096;
  nq.file_id = fid;
  nq.completion_filter = 0x17;
  add("change_notify", request(w::Command::ChangeNotify, [&](w::Writer& wr) { w::encode_request(wr, nq); }));
  w::QueryInfoRequest qq;
  qq.info_type = 1;
  qq.info_class = 18;  // FileAllInformation
  qq.output_length = 4096;
  qq.file_id = fid;
  add("query_info", request(w::Command::QueryInfo, [&](w::Writer& wr) { w::encode_request(wr, qq); }));
  w::SetInfoRequest sq;
  sq.info_type = 1;
  sq.info_class = w::fileinfo::FullEa;
  sq.buffer = ea;
  sq.file_id = fid;
  add("set_info_ea", request(w::Command::SetInfo, [&](w::Writer& wr) { w::encode_request(wr, sq); }));
  static const uint8_t eof[8] = {0, 0x10};
  sq.info_class = 20;  // FileEndOfFileInformation
  sq.buffer = eof;
  add("set_info_eof", request(w::Command::SetInfo, [&](w::Writer& wr) { w::encode_request(wr, sq); }));
  add("oplock_break", request(w::Command::OplockBreak, [&](w::Writer& wr) { w::encode_request(wr, w::OplockBreakAck{0, fid}); }));
  add("echo", request(w::Command::Echo, [&](w::Writer& wr) { w::encode_echo_request(wr); }));
  add("cancel", request(w::Command::Cancel, [&](w::Writer& wr) { w::encode_cancel_request(wr); }));
  add("logoff", request(w::Command::Logoff, [&](w::Writer& wr) { w::encode_logoff_request(wr); }));

  // A related compound: CREATE + READ + CLOSE of the created file.
  rq.file_id = related;
  auto rel_read = request(w::Command::Read, [&](w::Writer& wr) { w::encode_request(wr, rq); }, 2,
                          w::flags::RELATED_OPERATIONS);
  auto rel_close = request(w::Command::Close, [&](w::Writer& wr) { w::encode_request(wr, w::CloseRequest{0, related}); },
                           3, w::flags::RELATED_OPERATIONS);
  auto compound = chain({create, rel_read, rel_close});
  check("compound_create_read_close", compound);
  put(t, "compound_create_read_close", compound);

  // fuzz_transform: a TRANSFORM_HEADER in front of each message (the
  // ciphertext is the plain message here; the parser does not decrypt),
  // and SMB1 NEGOTIATE requests as smbclient and Windows send them.
  for (size_t i = 0; i < all.size(); ++i) {
    w::TransformHeader th;
    th.nonce[0] = static_cast<uint8_t>(i);
    th.original_size = static_cast<uint32_t>(all[i].size());
    th.flags = w::TRANSFORM_FLAG_ENCRYPTED;
    th.session_id = 0x1000000000001ull;
    std::vector<uint8_t> f(w::kTransformHeaderSize);
    w::encode_transform(f.data(), th);
    f.insert(f.end(), all[i].begin(), all[i].end());
    put("fuzz_transform", "transform" + std::to_string(i), f);
  }
  for (const auto& dialects :
       {std::vector<std::string>{"NT LM 0.12", "SMB 2.002", "SMB 2.???"},
        std::vector<std::string>{"PC NETWORK PROGRAM 1.0", "LANMAN1.0", "NT LM 0.12"}}) {
    std::vector<uint8_t> m(32, 0);
    w::st32(m.data(), w::kSmb1ProtocolId);
    m[4] = 0x72;  // SMB_COM_NEGOTIATE
    m[9] = 0x18;  // Flags
    m.push_back(0);  // WordCount
    std::vector<uint8_t> b;
    for (const auto& d : dialects) {
      b.push_back(0x02);
      b.insert(b.end(), d.begin(), d.end());
      b.push_back(0);
    }
    m.push_back(static_cast<uint8_t>(b.size()));
    m.push_back(static_cast<uint8_t>(b.size() >> 8));
    m.insert(m.end(), b.begin(), b.end());
    put("fuzz_transform", "smb1_negotiate" + std::to_string(dialects.size() + b.size()), m);
  }
}

// NTLMSSP and SPNEGO: a whole login as NtlmClient and the server's
// builders produce it.
std::vector<uint8_t> auth_seeds() {
  const std::string t = "fuzz_ntlmssp";
  a::NtlmCredentials creds;
  creds.user = "alice";
  creds.domain = "WORKGROUP";
  creds.password = "secret";
  a::NtlmClient c(creds);
  auto init = c.first_token(a::server_neg_token_init());
  put(t, "client_init", with_selector(0, init));
  put(t, "server_init", with_selector(3, a::server_neg_token_init()));
  if (auto tok = a::parse_client_token(init))
    put(t, "ntlm_negotiate", with_selector(1, std::vector<uint8_t>(tok->mech_token.begin(), tok->mech_token.end())));

  a::ntlm::ChallengeParams p;
  p.flags = a::ntlm::flag::UNICODE | a::ntlm::flag::NTLM | a::ntlm::flag::EXTENDED_SESSIONSECURITY |
            a::ntlm::flag::TARGET_INFO | a::ntlm::flag::NEG_128 | a::ntlm::flag::KEY_EXCH |
            a::ntlm::flag::SIGN | a::ntlm::flag::VERSION;
  for (int i = 0; i < 8; ++i) p.server_challenge[i] = static_cast<uint8_t>(i + 1);
  p.nb_domain = "WORKGROUP";
  p.nb_computer = "RINGSMB";
  p.dns_domain = "example.org";
  p.dns_computer = "ringsmb.example.org";
  p.timestamp = 133000000000000000ull;
  auto challenge = a::ntlm::build_challenge(p);
  auto resp = a::server_neg_token_resp(a::NegState::AcceptIncomplete, true, challenge, {});
  put(t, "server_challenge", with_selector(4, resp));
  put(t, "server_challenge_resp", with_selector(3, resp));
  if (auto next = c.next_token(resp)) {
    put(t, "client_resp", with_selector(0, *next));
    if (auto tok = a::parse_client_token(*next))
      put(t, "ntlm_authenticate",
          with_selector(2, std::vector<uint8_t>(tok->mech_token.begin(), tok->mech_token.end())));
  }
  put(t, "server_accept", with_selector(3, a::server_neg_token_resp(a::NegState::AcceptCompleted, false, {}, {})));
  return init;
}

void config_seeds() {
  const std::string t = "fuzz_config";
  put(t, "minimal", "[global]\n\tsmb ports = 4445\n\tinterfaces = 127.0.0.1\n[demo]\n\tpath = /tmp\n\tguest ok = yes\n");
  put(t, "full",
      "# comment\n; comment\n[global]\n"
      "smb ports = 445 4445\n"
      "interfaces = 127.0.0.1/8 ::1 \"lo;speed=10000000000,capability=RSS\"\n"
      "server min protocol = SMB2_10\nserver max protocol = SMB3_11\n"
      "netbios name = RINGSMB\nworkgroup = WORKGROUP\nmap to guest = bad user\n"
      "guest account = nobody\npassdb file = /var/lib/ringsmb/passdb\n"
      "server signing = mandatory\nsmb encrypt = desired\n"
      "server multi channel support = yes\nlog level = 3\n"
      "ringsmb:workers = 4\nringsmb:handshake timeout = 30\nringsmb:max credits = 8192\n"
      "ringsmb:numa = auto\n"
      "[data]\npath = /srv/data\nread only = no\nguest ok = no\nvalid users = alice bob\n"
      "browseable = yes\nsmb encrypt = required\n"
      "[ro]\n  path=/srv/ro\n  read only = yes\n  writable = no\n");
  put(t, "bad", "[global]\nread only = maybe\nsmb ports = 70000\n[x]\npath=\n");
}

void name_seeds() {
  const std::string t = "fuzz_names";
  for (const char* s : {"dir\\sub\\file.txt", "file.txt:stream:$DATA", "file::$DATA",
                        "a\\..\\b", "LONGFILENAME.EXTENSION", "d\\", "caf\xc3\xa9\\\xe6\x97\xa5\xe6\x9c\xac.doc"}) {
    put(t, std::string("path_") + std::to_string(std::string_view(s).size()), u16(s));
  }
  put(t, "pattern", std::string_view("*.TXT\0\0readme.txt", 17));
  put(t, "dos_wildcards", std::string_view("<\"*>\0\0A.B.C", 11));
}

// ------------------------------------------------- the client's targets

namespace fz = ringsmb::fuzz;

// A response as a server sends it: header, then the body.
template <class Encode>
std::vector<uint8_t> response(w::Command cmd, uint32_t status, uint64_t mid, uint64_t session_id,
                              Encode encode, uint32_t extra_flags = 0) {
  w::Writer wr;
  wr.zeros(w::kHeaderSize);
  encode(wr);
  w::Header h;
  h.command = static_cast<uint16_t>(cmd);
  h.status = status;
  h.credit_charge = 1;
  h.credits = 64;
  h.flags = w::flags::SERVER_TO_REDIR | extra_flags;
  h.message_id = mid;
  h.tree_id = 1;
  h.session_id = session_id;
  if (extra_flags & w::flags::ASYNC_COMMAND) h.async_id = 0x77;
  w::encode_header(wr.data(), h);
  return wr.vec();
}

std::vector<uint8_t> error_body(uint32_t status, uint64_t mid, uint64_t sid, w::Command cmd,
                                w::Bytes data = {}, uint32_t extra_flags = 0) {
  return response(cmd, status, mid, sid, [&](w::Writer& wr) { w::encode_error_response(wr, data); },
                  extra_flags);
}

std::vector<uint8_t> negotiate_response(uint16_t dialect, uint16_t cipher, uint16_t signing_alg) {
  static const uint8_t salt[32] = {9, 8, 7};
  w::NegotiateResponse r;
  r.security_mode = w::NEGOTIATE_SIGNING_ENABLED;
  r.dialect = dialect;
  r.server_guid.b[0] = 0x5e;
  r.capabilities = dialect >= w::dialect::SMB300
                       ? (w::cap::LARGE_MTU | w::cap::MULTI_CHANNEL | w::cap::ENCRYPTION)
                       : (dialect == w::dialect::SMB210 ? w::cap::LARGE_MTU : 0);
  r.max_transact = r.max_read = r.max_write = 8 * 1024 * 1024;
  r.system_time = 133000000000000000ull;
  auto hint = a::server_neg_token_init();
  r.security_buffer = hint;
  if (dialect == w::dialect::SMB311) {
    r.contexts.emplace_back(w::negctx::PREAUTH_INTEGRITY_CAPABILITIES,
                            w::preauth_context(w::Bytes(salt, sizeof salt)));
    r.contexts.emplace_back(w::negctx::ENCRYPTION_CAPABILITIES, w::u16_list_context({cipher}));
    r.contexts.emplace_back(w::negctx::SIGNING_CAPABILITIES, w::u16_list_context({signing_alg}));
  }
  return response(w::Command::Negotiate, 0, 0, 0,
                  [&](w::Writer& wr) { w::encode_negotiate_response(wr, r); });
}

// The server's side of a login of fuzz_client_auth, answering the
// requests that target makes (fuzz/client_sim.h) with the keys its client
// ends up with, so that the exchange succeeds there too. kind: 0 a user,
// 1 a guest, 2 anonymous. Returns the input (configuration byte, frames).
std::vector<uint8_t> login_seed(uint8_t config, bool with_negotiate, int kind) {
  std::vector<uint8_t> in{config};
  std::vector<c::ChainedReply> replies;
  std::vector<uint8_t> neg;
  if (with_negotiate) {
    const uint16_t d = fz::config_dialect(config);
    neg = negotiate_response(d, fz::config_cipher(config), w::signalg::AES_GMAC);
    fz::add_frame(in, neg);
    if (auto m = c::next_reply(neg, 0)) replies.push_back(*m);
  }
  fz::AuthStart st = fz::auth_start(config, replies);
  c::SetupExchange ex(fz::credentials(st.anonymous), st.params);
  fz::fix_randoms(ex.ntlm());
  auto first = a::parse_client_token(ex.first_token(st.hint));
  if (!first) return {};
  const std::vector<uint8_t> mech_types(first->mech_types_der.begin(), first->mech_types_der.end());
  a::NtlmServer server({});
  auto challenge = server.challenge(first->mech_token);
  if (!challenge) return {};
  const uint64_t sid = fz::kSessionId;

  // Round 0: the CHALLENGE.
  auto req = fz::setup_request(ex, 0);
  if (auto* h = ex.preauth()) h->update(req);
  auto more = response(w::Command::SessionSetup, w::status::MORE_PROCESSING_REQUIRED, 1, sid,
                       [&](w::Writer& wr) {
                         w::encode_session_setup_response(
                             wr, 0, a::server_neg_token_resp(a::NegState::AcceptIncomplete, true,
                                                             *challenge, {}));
                       });
  fz::add_frame(in, more);
  auto hm = w::parse_header(more);
  if (ex.on_reply(*hm, more, st.encrypted) != w::status::MORE_PROCESSING_REQUIRED) {
    std::fprintf(stderr, "make_seeds: warning: login seed %02x refused the CHALLENGE\n", config);
    return in;
  }

  // Round 1: accept, with the mechListMIC and signature this client checks.
  req = fz::setup_request(ex, 1);
  if (auto* h = ex.preauth()) h->update(req);
  uint16_t flags = 0;
  std::vector<uint8_t> token;
  std::vector<uint8_t> mic;
  if (kind == 0) {
    auto tok = a::parse_client_token(ex.token());
    if (!tok) return {};
    auto res = server.authenticate(tok->mech_token, [](const std::string&) {
      return std::optional<a::Key16>(a::nt_hash(fz::credentials(false).password));
    });
    if (res.outcome != a::NtlmServer::Outcome::Authenticated) {
      std::fprintf(stderr, "make_seeds: warning: login seed %02x: NTLMv2 not verified\n", config);
    }
    mic = server.sign_mech_list(mech_types);
  } else {
    flags = kind == 1 ? w::SESSION_FLAG_IS_GUEST : w::SESSION_FLAG_IS_NULL;
  }
  token = a::server_neg_token_resp(a::NegState::AcceptCompleted, false, {}, mic);
  const bool v311 = st.params.dialect == w::dialect::SMB311;
  const bool signs = kind == 0 && (v311 || st.params.binding);
  auto done = response(w::Command::SessionSetup, w::status::SUCCESS, 2, sid,
                       [&](w::Writer& wr) { w::encode_session_setup_response(wr, flags, token); },
                       signs ? w::flags::SIGNED : 0);
  if (signs) {
    auto k = a::derive_smb_keys(server.session_key(), st.params.dialect, st.params.signing_alg,
                                st.params.cipher, v311 ? &ex.preauth()->value() : nullptr);
    fz::sign_reply(k, done);
  }
  fz::add_frame(in, done);
  auto hd = w::parse_header(done);
  if (ex.on_reply(*hd, done, st.encrypted) != w::status::SUCCESS) {
    std::fprintf(stderr, "make_seeds: warning: login seed %02x does not log in\n", config);
  }
  return in;
}

void client_auth_seeds() {
  const std::string t = "fuzz_client_auth";
  // Dialects 2.0.2 ... 3.1.1 (configuration bits 0-2), ciphers (bits 6-7).
  for (uint8_t d = 0; d < 5; ++d) {
    put(t, "login_d" + std::to_string(d), login_seed(d, false, 0));
    put(t, "login_neg_d" + std::to_string(d), login_seed(d, true, 0));
  }
  put(t, "login_neg_gcm", login_seed(4 | 0x40, true, 0));
  put(t, "login_neg_aes256", login_seed(4 | 0xC0, true, 0));
  put(t, "guest", login_seed(4, true, 1));
  put(t, "guest_d1", login_seed(1, false, 1));
  put(t, "anonymous", login_seed(4 | fz::cfg::kAnonymous, true, 2));
  put(t, "bind_d4", login_seed(4 | fz::cfg::kBinding, true, 0));
  put(t, "bind_d2", login_seed(2 | fz::cfg::kBinding, false, 0));
  put(t, "encrypted_d4", login_seed(4 | fz::cfg::kEncrypted, true, 0));
}

// One connection's worth of answers: NEGOTIATE, a login, a tree, a file
// created, read, written, listed, queried and closed, an interim
// response, a compound, errors, an oplock break. Each message is also a
// seed of its own.
std::vector<uint8_t> client_stream(uint8_t config, uint32_t post_login_flags, const std::string& prefix) {
  const std::string t = "fuzz_client_responses";
  const uint16_t d = fz::config_dialect(config);
  const uint64_t sid = fz::kSessionId;
  std::vector<uint8_t> in{config};
  uint64_t mid = 0;
  auto add = [&](const std::string& name, const std::vector<uint8_t>& frame) {
    fz::add_frame(in, frame);
    if (!prefix.empty()) {
      std::vector<uint8_t> one{config};
      fz::add_frame(one, frame);
      put(t, prefix + name, one);
    }
  };
  const uint32_t pf = post_login_flags;
  add("negotiate", negotiate_response(d, fz::config_cipher(config), w::signalg::AES_GMAC));
  ++mid;
  add("setup_more", response(w::Command::SessionSetup, w::status::MORE_PROCESSING_REQUIRED, mid++, sid,
                             [&](w::Writer& wr) {
                               a::ntlm::ChallengeParams p;
                               p.flags = a::ntlm::flag::UNICODE | a::ntlm::flag::NTLM |
                                         a::ntlm::flag::TARGET_INFO;
                               p.nb_domain = "WORKGROUP";
                               p.nb_computer = "RINGSMB";
                               w::encode_session_setup_response(
                                   wr, 0, a::server_neg_token_resp(a::NegState::AcceptIncomplete, true,
                                                                   a::ntlm::build_challenge(p), {}));
                             }));
  add("setup_done", response(w::Command::SessionSetup, w::status::SUCCESS, mid++, sid, [&](w::Writer& wr) {
        w::encode_session_setup_response(
            wr, 0, a::server_neg_token_resp(a::NegState::AcceptCompleted, false, {}, {}));
      }));
  add("tree_connect", response(w::Command::TreeConnect, w::status::SUCCESS, mid++, sid, [&](w::Writer& wr) {
        w::TreeConnectResponse r;
        r.share_flags = 0x30;
        r.capabilities = 0x8;
        r.maximal_access = 0x1f01ff;
        w::encode_tree_connect_response(wr, r);
      }, pf));
  w::CreateResponse cr;
  cr.oplock_level = 0;
  cr.create_action = 1;
  cr.info.creation_time = 133000000000000000ull;
  cr.info.end_of_file = 12;
  cr.info.allocation_size = 4096;
  cr.info.attributes = 0x20;
  cr.file_id = {0x11, 0x22};
  cr.contexts.emplace_back("MxAc", std::vector<uint8_t>{0, 0, 0, 0, 0xff, 0x01, 0x1f, 0x00});
  cr.contexts.emplace_back("QFid", std::vector<uint8_t>(32, 0x5a));
  auto create = response(w::Command::Create, w::status::SUCCESS, mid++, sid,
                         [&](w::Writer& wr) { w::encode_create_response(wr, cr); }, pf);
  add("create", create);
  static const uint8_t text[] = "hello, world";
  auto read = response(w::Command::Read, w::status::SUCCESS, mid++, sid, [&](w::Writer& wr) {
    size_t at = wr.zeros(w::kReadResponseFixed);
    w::encode_read_response_fixed(wr.data() + at, sizeof text, 0);
    wr.append(text, sizeof text);
  }, pf);
  add("read", read);
  add("write", response(w::Command::Write, w::status::SUCCESS, mid++, sid,
                        [&](w::Writer& wr) { w::encode_write_response(wr, 12); }, pf));
  {
    w::Writer list;
    size_t prev = 0;
    const char* names[] = {".", "..", "file.txt", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac.doc"};
    for (size_t i = 0; i < 4; ++i) {
      if (i != 0) {
        list.align(8);
        list.put32(prev, static_cast<uint32_t>(list.size() - prev));
      }
      prev = list.size();
      w::FileInfo fi;
      fi.creation_time = 133000000000000000ull + i;
      fi.end_of_file = 100 * i;
      fi.attributes = i < 2 ? 0x10 : 0x20;
      fi.file_id = 1000 + i;
      w::put_dir_entry(list, w::fileinfo::IdBothDirectory, fi, static_cast<uint32_t>(i), u16(names[i]),
                       i == 3 ? u16("CAFE~1.DOC") : std::vector<uint8_t>{});
    }
    add("query_directory", response(w::Command::QueryDirectory, w::status::SUCCESS, mid++, sid,
                                    [&](w::Writer& wr) { w::encode_buffer_response(wr, list.bytes()); }, pf));
    add("no_more_files", error_body(w::status::NO_MORE_FILES, mid++, sid, w::Command::QueryDirectory, {}, pf));
  }
  {
    w::Writer all;
    w::FileInfo fi;
    fi.creation_time = 133000000000000000ull;
    fi.end_of_file = 12;
    fi.attributes = 0x20;
    fi.nlink = 1;
    fi.file_id = 77;
    w::put_all_info(all, fi, 0x12019f, 0, 0, u16("\\dir\\file.txt"));
    add("query_info_all", response(w::Command::QueryInfo, w::status::SUCCESS, mid++, sid,
                                   [&](w::Writer& wr) { w::encode_buffer_response(wr, all.bytes()); }, pf));
    std::vector<uint8_t> fs(32, 0);
    w::st64(fs.data(), 1000000);
    w::st64(fs.data() + 8, 500000);
    w::st64(fs.data() + 16, 500000);
    w::st32(fs.data() + 24, 8);
    w::st32(fs.data() + 28, 512);
    add("query_info_fs", response(w::Command::QueryInfo, w::status::SUCCESS, mid++, sid,
                                  [&](w::Writer& wr) { w::encode_buffer_response(wr, fs); }, pf));
  }
  {
    w::NetworkInterface v4;
    v4.if_index = 1;
    v4.capability = w::NETIF_RSS_CAPABLE;
    v4.link_speed = 10000000000ull;
    v4.family = w::SOCKADDR_INET;
    v4.addr[0] = 127;
    v4.addr[3] = 1;
    w::NetworkInterface v6 = v4;
    v6.family = w::SOCKADDR_INET6;
    std::memset(v6.addr, 0, sizeof v6.addr);
    v6.addr[15] = 1;
    v6.ipv6_scope_id = 1;
    auto list = w::encode_network_interfaces({v4, v6});
    add("ioctl_netif", response(w::Command::Ioctl, w::status::SUCCESS, mid++, sid, [&](w::Writer& wr) {
          w::encode_ioctl_response(wr, w::fsctl::QUERY_NETWORK_INTERFACE_INFO,
                                   {~uint64_t{0}, ~uint64_t{0}}, list);
        }, pf));
  }
  {
    // CHANGE_NOTIFY: an interim STATUS_PENDING, then the answer.
    const uint64_t m = mid++;
    add("interim", error_body(w::status::PENDING, m, sid, w::Command::ChangeNotify, {},
                              w::flags::ASYNC_COMMAND));
    std::vector<uint8_t> notify(12, 0);
    w::st32(notify.data() + 4, 1);  // FILE_ACTION_ADDED
    auto name = u16("new.txt");
    w::st32(notify.data() + 8, static_cast<uint32_t>(name.size()));
    notify.insert(notify.end(), name.begin(), name.end());
    add("change_notify", response(w::Command::ChangeNotify, w::status::SUCCESS, m, sid,
                                  [&](w::Writer& wr) { w::encode_buffer_response(wr, notify); },
                                  w::flags::ASYNC_COMMAND | pf));
  }
  w::NetworkOpenInfo info = cr.info;
  add("close", response(w::Command::Close, w::status::SUCCESS, mid++, sid,
                        [&](w::Writer& wr) { w::encode_close_response(wr, 1, &info); }, pf));
  {
    // A compound answer: CREATE, READ, CLOSE, each padded to 8 bytes.
    std::vector<std::vector<uint8_t>> parts = {
        response(w::Command::Create, w::status::SUCCESS, mid, sid,
                 [&](w::Writer& wr) { w::encode_create_response(wr, cr); }, pf),
        response(w::Command::Read, w::status::SUCCESS, mid + 1, sid, [&](w::Writer& wr) {
          size_t at = wr.zeros(w::kReadResponseFixed);
          w::encode_read_response_fixed(wr.data() + at, sizeof text, 0);
          wr.append(text, sizeof text);
        }, pf | w::flags::RELATED_OPERATIONS),
        response(w::Command::Close, w::status::SUCCESS, mid + 2, sid,
                 [&](w::Writer& wr) { w::encode_close_response(wr, 0, nullptr); },
                 pf | w::flags::RELATED_OPERATIONS)};
    mid += 3;
    add("compound", chain(parts));
  }
  add("not_found", error_body(w::status::OBJECT_NAME_NOT_FOUND, mid++, sid, w::Command::Create, {}, pf));
  static const uint8_t need[4] = {0, 0x10, 0, 0};
  add("buffer_too_small", error_body(w::status::BUFFER_TOO_SMALL, mid++, sid, w::Command::QueryInfo,
                                     w::Bytes(need), pf));
  for (w::Command cmd : {w::Command::Flush, w::Command::Lock, w::Command::Echo,
                         w::Command::TreeDisconnect, w::Command::Logoff}) {
    add("empty_" + std::to_string(static_cast<int>(cmd)),
        response(cmd, w::status::SUCCESS, mid++, sid, [&](w::Writer& wr) { w::encode_empty_response(wr); }, pf));
  }
  add("oplock_break", response(w::Command::OplockBreak, w::status::SUCCESS, ~uint64_t{0}, 0,
                               [&](w::Writer& wr) {
                                 size_t at = wr.zeros(24);
                                 wr.put16(at, 24);
                                 wr.data()[at + 2] = 1;
                                 w::st_file_id(wr.data() + at + 8, {0x11, 0x22});
                               }));
  return in;
}

void client_response_seeds() {
  const std::string t = "fuzz_client_responses";
  for (uint8_t d = 0; d < 5; ++d) {
    put(t, "stream_d" + std::to_string(d), client_stream(d, 0, d == 4 ? "d4_" : ""));
  }
  // Sealed by the "server" (3.0 and 3.1.1 GCM), and signed.
  put(t, "stream_sealed_d2", client_stream(2 | fz::cfg::kSeal, 0, ""));
  put(t, "stream_sealed_d4_gcm", client_stream(4 | 0x40 | fz::cfg::kSeal, 0, ""));
  put(t, "stream_signed_d4",
      client_stream(4 | fz::cfg::kSign | fz::cfg::kServerSigns, w::flags::SIGNED, ""));
  put(t, "stream_signed_d1",
      client_stream(1 | fz::cfg::kSign | fz::cfg::kServerSigns, w::flags::SIGNED, ""));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  auto init = auth_seeds();
  wire_seeds(&init);
  config_seeds();
  name_seeds();
  client_response_seeds();
  client_auth_seeds();
  return 0;
}
