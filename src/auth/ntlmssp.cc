#include "auth/ntlmssp.h"

#include <cstring>

#include "wire/le.h"
#include "wire/utf16.h"

namespace ringsmb::auth::ntlm {

using wire::ld16;
using wire::ld32;
using wire::st16;
using wire::st32;
using wire::st64;

namespace {
constexpr uint8_t kSig[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

bool has_sig(Bytes in, uint32_t type) {
  return in.size() >= 12 && std::memcmp(in.data(), kSig, 8) == 0 && ld32(in.data() + 8) == type;
}

// A (Len, MaxLen, Offset) field at pos; nullopt when out of bounds.
std::optional<Bytes> field(Bytes in, size_t pos) {
  if (in.size() < pos + 8) return std::nullopt;
  uint16_t len = ld16(in.data() + pos);
  uint32_t off = ld32(in.data() + pos + 4);
  if (len == 0) return Bytes{};
  if (off > in.size() || len > in.size() - off) return std::nullopt;
  return in.subspan(off, len);
}

std::optional<std::string> decode_string(Bytes b, bool unicode) {
  if (!unicode) return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  return wire::utf16le_to_utf8(b);
}

void put_av(std::vector<uint8_t>& out, uint16_t id, Bytes value) {
  size_t o = out.size();
  out.resize(o + 4 + value.size());
  st16(out.data() + o, id);
  st16(out.data() + o + 2, static_cast<uint16_t>(value.size()));
  if (!value.empty()) std::memcpy(out.data() + o + 4, value.data(), value.size());
}
void put_av_str(std::vector<uint8_t>& out, uint16_t id, const std::string& s) {
  auto u = wire::utf8_to_utf16le(s);
  put_av(out, id, u);
}
}  // namespace

std::optional<NegotiateMessage> parse_negotiate(Bytes in) {
  if (!has_sig(in, 1) || in.size() < 16) return std::nullopt;
  return NegotiateMessage{ld32(in.data() + 12)};
}

std::vector<uint8_t> build_challenge(const ChallengeParams& p) {
  std::vector<uint8_t> target = wire::utf8_to_utf16le(p.nb_domain);
  std::vector<uint8_t> info;
  put_av_str(info, av::NB_DOMAIN, p.nb_domain);
  put_av_str(info, av::NB_COMPUTER, p.nb_computer);
  put_av_str(info, av::DNS_DOMAIN, p.dns_domain);
  put_av_str(info, av::DNS_COMPUTER, p.dns_computer);
  if (p.timestamp != 0) {
    uint8_t ts[8];
    st64(ts, p.timestamp);
    put_av(info, av::TIMESTAMP, Bytes(ts, 8));
  }
  put_av(info, av::EOL, {});

  constexpr size_t kFixed = 56;
  std::vector<uint8_t> m(kFixed);
  std::memcpy(m.data(), kSig, 8);
  st32(m.data() + 8, 2);
  st16(m.data() + 12, static_cast<uint16_t>(target.size()));
  st16(m.data() + 14, static_cast<uint16_t>(target.size()));
  st32(m.data() + 16, kFixed);
  st32(m.data() + 20, p.flags);
  std::memcpy(m.data() + 24, p.server_challenge, 8);
  st16(m.data() + 40, static_cast<uint16_t>(info.size()));
  st16(m.data() + 42, static_cast<uint16_t>(info.size()));
  st32(m.data() + 44, static_cast<uint32_t>(kFixed + target.size()));
  // Version: 6.1 build 7600, NTLM revision 15 (MS-NLMP 2.2.2.10).
  m[48] = 6;
  m[49] = 1;
  st16(m.data() + 50, 7600);
  m[55] = 15;
  m.resize(kFixed + target.size() + info.size());
  if (!target.empty()) std::memcpy(m.data() + kFixed, target.data(), target.size());
  std::memcpy(m.data() + kFixed + target.size(), info.data(), info.size());
  return m;
}

std::optional<std::vector<AvPair>> ntlmv2_av_pairs(Bytes nt) {
  // NTProofStr(16) + RespType(1) HiRespType(1) Reserved(6) TimeStamp(8)
  // ChallengeFromClient(8) Reserved(4) = 44 bytes before the AV pairs.
  constexpr size_t kStart = 16 + 28;
  if (nt.size() < kStart) return std::nullopt;
  std::vector<AvPair> out;
  size_t pos = kStart;
  while (pos + 4 <= nt.size()) {
    uint16_t id = ld16(nt.data() + pos);
    uint16_t len = ld16(nt.data() + pos + 2);
    pos += 4;
    if (len > nt.size() - pos) return std::nullopt;
    if (id == av::EOL) return out;
    out.push_back({id, nt.subspan(pos, len)});
    pos += len;
    if (out.size() > 64) return std::nullopt;
  }
  return std::nullopt;  // the list must end with MsvAvEOL
}

std::optional<AuthenticateMessage> parse_authenticate(Bytes in) {
  if (!has_sig(in, 3) || in.size() < 64) return std::nullopt;
  AuthenticateMessage m;
  auto lm = field(in, 12);
  auto nt = field(in, 20);
  auto dom = field(in, 28);
  auto user = field(in, 36);
  auto ws = field(in, 44);
  auto key = field(in, 52);
  if (!lm || !nt || !dom || !user || !ws || !key) return std::nullopt;
  m.flags = ld32(in.data() + 60);
  bool unicode = (m.flags & flag::UNICODE) != 0;
  auto d = decode_string(*dom, unicode);
  auto u = decode_string(*user, unicode);
  auto w = decode_string(*ws, unicode);
  if (!d || !u || !w) return std::nullopt;
  m.lm_response = *lm;
  m.nt_response = *nt;
  m.domain = std::move(*d);
  m.user = std::move(*u);
  m.workstation = std::move(*w);
  m.encrypted_random_session_key = *key;
  if (nt->size() > 24) {
    if (auto pairs = ntlmv2_av_pairs(*nt)) {
      for (const auto& p : *pairs) {
        if (p.id == av::FLAGS && p.value.size() == 4 &&
            (ld32(p.value.data()) & AV_FLAG_MIC_PRESENT) != 0 && in.size() >= 88) {
          m.has_mic = true;
          m.mic = in.subspan(72, 16);
        }
      }
    }
  }
  return m;
}

bool is_anonymous(const AuthenticateMessage& m) {
  bool lm_empty = m.lm_response.empty() || (m.lm_response.size() == 1 && m.lm_response[0] == 0);
  return m.user.empty() && m.nt_response.empty() && lm_empty;
}

}  // namespace ringsmb::auth::ntlm
