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
// descriptor is closed when the last reference to the Open goes. False
// when the open was closed already (by a CLOSE on another channel, its
// tree's disconnect or its session's end): this call did nothing.
rt::Task<bool> close_open(Server& server, Session& session, std::shared_ptr<Open> open);

// After a successful CREATE: the open it added to the session stays only
// when its session and tree still exist. A CREATE can be in flight for
// long (an oplock break, the file system) while a LOGOFF or
// TREE_DISCONNECT on another channel, or in another frame, ends them;
// those collect the opens to close when they start, so an open added
// after that would belong to nobody, hold its file's share modes and
// oplock, and (once its Session is freed) leave a dangling pointer in
// its FileObject. Such an open is closed here and the status to answer
// instead is returned: STATUS_USER_SESSION_DELETED or
// STATUS_NETWORK_NAME_DELETED (the session or tree is gone, as for a
// request that arrives after them, 3.3.5.2.9 and 3.3.5.2.11);
// STATUS_SUCCESS when the open stays.
rt::Task<wire::NtStatus> settle_new_open(Server& server, Session& session,
                                         const TreeConnect& tree, wire::FileId id);

// The FSCC view of what an open refers to: the file, or for a named stream
// the base file's times and attributes with the stream's size. 0 or -errno.
rt::Task<int> query_open_info(Open& open, wire::FileInfo* out);

// Closes every open of a tree connect and forgets the tree. False when
// the tree was gone already (another TREE_DISCONNECT or the session's end
// came first).
rt::Task<bool> close_tree(Server& server, Session& session, uint32_t tree_id);

// Releases what an open holds on its file (share modes, oplock, lease,
// delete-on-close) once: false when it had been released already.
// close_open() does this after removing the open from its session, and a
// preserved durable open that expires directly.
rt::Task<bool> release_open(Server& server, std::shared_ptr<Open> open);

// Ends a session: marks it Expired, removes it from the server's table and
// closes its opens and trees. keep_durable (the connection was lost,
// MS-SMB2 3.3.7.1): durable opens are preserved for a reconnect instead of
// closed. False when it had ended already (another LOGOFF, the last
// channel's teardown); any open still left is closed all the same.
rt::Task<bool> end_session(Server& server, std::shared_ptr<Session> session,
                           bool keep_durable = false);
// end_session for callers that do not ask whether they ended it (it can
// be spawned).
rt::Task<void> destroy_session(Server& server, std::shared_ptr<Session> session,
                               bool keep_durable = false);

}  // namespace ringsmb::server
