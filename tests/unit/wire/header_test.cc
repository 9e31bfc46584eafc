#include <gtest/gtest.h>

#include "wire/header.h"

using namespace ringsmb::wire;

TEST(Header, RoundTrip) {
  Header h;
  h.credit_charge = 3;
  h.command = 8;
  h.credits = 31;
  h.flags = flags::SIGNED;
  h.message_id = 0x1122334455667788ull;
  h.tree_id = 7;
  h.session_id = 0xABCDEF;
  uint8_t buf[64];
  encode_header(buf, h);
  auto r = parse_header(Bytes(buf, 64));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->credit_charge, 3);
  EXPECT_EQ(r->command, 8);
  EXPECT_EQ(r->message_id, h.message_id);
  EXPECT_EQ(r->tree_id, 7u);
  EXPECT_EQ(r->session_id, 0xABCDEFu);
}
