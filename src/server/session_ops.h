// Lifetime operations shared by several handlers and by connection
// teardown: closing opens, tree connects and sessions.
#pragma once

#include <memory>

#include "rt/task.h"
#include "server/connection.h"
#include "server/state.h"
#include "wire/fscc.h"

namespace ringsmb::server {

class Server;

// The open a request names (FileId after related-compound substitution),
// when it belongs to the request's session and tree; null otherwise.
std::shared_ptr<Open> find_open(Request& req, wire::FileId id);

// Removes the open from its session and its file object; when it was the
// last open of a file that is delete-pending, removes the file. The
// descriptor is closed when the last reference to the Open goes.
rt::Task<void> close_open(Server& server, Session& session, std::shared_ptr<Open> open);

// The FSCC view of what an open refers to: the file, or for a named stream
// the base file's times and attributes with the stream's size. 0 or -errno.
rt::Task<int> query_open_info(Open& open, wire::FileInfo* out);

// Closes every open of a tree connect and forgets the tree.
rt::Task<void> close_tree(Server& server, Session& session, uint32_t tree_id);

// Releases what an open holds on its file (share modes, oplock, lease,
// delete-on-close) once; close_open() does this after removing the open
// from its session, and a preserved durable open that expires directly.
rt::Task<void> release_open(Server& server, std::shared_ptr<Open> open);

// Expires a session: closes its opens and trees and removes it from the
// server's table. keep_durable (the connection was lost, MS-SMB2 3.3.7.1):
// durable opens are preserved for a reconnect instead of closed.
rt::Task<void> destroy_session(Server& server, std::shared_ptr<Session> session,
                               bool keep_durable = false);

}  // namespace ringsmb::server
