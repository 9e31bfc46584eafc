// Writes the seed corpora of the fuzz targets: valid encodings from the
// project's own encoders (the client half of the codec, the NTLMSSP and
// SPNEGO builders), so that every target starts from inputs its decoders
// accept. Run as `make_seeds DIR`; it creates DIR/<target>/<name> files.
// Seeds are generated, never committed.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "auth/ntlm_client.h"
#include "auth/ntlmssp.h"
#include "auth/spnego.h"
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
  return 0;
}
