// Command handlers, one file per command group (negotiate.cc,
// session_setup.cc, tree_connect.cc, create_close.cc, read_write.cc,
// query_directory.cc, query_info.cc, set_info.cc, ioctl.cc, misc.cc).
// They run only after dispatch.cc has validated the request and resolved its
// session and tree; they fill in the Response.
#pragma once

#include "rt/task.h"
#include "server/connection.h"

namespace ringsmb::server::handlers {

rt::Task<void> negotiate(Request& req, Response& resp);
rt::Task<void> session_setup(Request& req, Response& resp);
rt::Task<void> logoff(Request& req, Response& resp);
rt::Task<void> tree_connect(Request& req, Response& resp);
rt::Task<void> tree_disconnect(Request& req, Response& resp);
rt::Task<void> create(Request& req, Response& resp);
rt::Task<void> close(Request& req, Response& resp);
rt::Task<void> flush(Request& req, Response& resp);
rt::Task<void> read(Request& req, Response& resp);
rt::Task<void> write(Request& req, Response& resp);
rt::Task<void> lock(Request& req, Response& resp);
rt::Task<void> ioctl(Request& req, Response& resp);
rt::Task<void> cancel(Request& req, Response& resp);
rt::Task<void> echo(Request& req, Response& resp);
rt::Task<void> query_directory(Request& req, Response& resp);
rt::Task<void> change_notify(Request& req, Response& resp);
rt::Task<void> query_info(Request& req, Response& resp);
rt::Task<void> set_info(Request& req, Response& resp);
rt::Task<void> oplock_break(Request& req, Response& resp);

}  // namespace ringsmb::server::handlers
