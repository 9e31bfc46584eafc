"""A small raw SMB2/SMB3 client for tests (Python 3 standard library only).

It speaks exactly the bytes of MS-SMB2 over the direct TCP transport
(MS-SMB2 2.1): no signing, no encryption, anonymous NTLMSSP logon. It is
meant for poking a server with well-formed and malformed requests, so it
keeps every step visible:

    c = Connection("127.0.0.1", port)
    c.negotiate()                      # 0x0202..0x0311, preauth context for 3.1.1
    c.session_setup_anonymous()        # SPNEGO-wrapped NTLMSSP, null session
    c.tree_connect(r"\\\\127.0.0.1\\demo")
    st, body = c.create("a.txt", disposition=FILE_OVERWRITE_IF)
    fid = body_file_id(body)
    st, body = c.write(fid, 0, b"hello")
    st, data = c.read(fid, 0, 5)       # READ returns the data itself
    c.close(fid)

Every request method returns a Reply, a (status, body) tuple (body: the
response bytes after the 64-byte header) that also carries .hdr (the parsed
response header) and .raw (the whole message). Failing statuses are not
exceptions: tests assert the exact NTSTATUS.

For malformed input, build() returns the bytes of a request (with a
MessageId and the credits it charges accounted for) that a test may mutate
and then hand to send_message() / send_raw(); recv_outcome() then tells
what came back: a reply, a closed connection, or nothing within a timeout.
"""

import os
import select
import socket
import struct
import time
import uuid

# --- constants ---------------------------------------------------------------

SMB2_MAGIC = b"\xfeSMB"
SMB1_MAGIC = b"\xffSMB"
HEADER_SIZE = 64

# Commands (MS-SMB2 2.2.1.2).
NEGOTIATE = 0x0000
SESSION_SETUP = 0x0001
LOGOFF = 0x0002
TREE_CONNECT = 0x0003
TREE_DISCONNECT = 0x0004
CREATE = 0x0005
CLOSE = 0x0006
FLUSH = 0x0007
READ = 0x0008
WRITE = 0x0009
LOCK = 0x000A
IOCTL = 0x000B
CANCEL = 0x000C
ECHO = 0x000D
QUERY_DIRECTORY = 0x000E
CHANGE_NOTIFY = 0x000F
QUERY_INFO = 0x0010
SET_INFO = 0x0011
OPLOCK_BREAK = 0x0012

# Header flags.
FLAGS_SERVER_TO_REDIR = 0x00000001
FLAGS_ASYNC_COMMAND = 0x00000002
FLAGS_RELATED_OPERATIONS = 0x00000004
FLAGS_SIGNED = 0x00000008

# Dialects.
SMB2_02 = 0x0202
SMB2_10 = 0x0210
SMB3_00 = 0x0300
SMB3_02 = 0x0302
SMB3_11 = 0x0311
SMB2_WILDCARD = 0x02FF
ALL_DIALECTS = (SMB2_02, SMB2_10, SMB3_00, SMB3_02, SMB3_11)

# NTSTATUS values tests care about.
STATUS_SUCCESS = 0x00000000
STATUS_PENDING = 0x00000103
STATUS_BUFFER_OVERFLOW = 0x80000005
STATUS_NO_MORE_FILES = 0x80000006
STATUS_INVALID_INFO_CLASS = 0xC0000003
STATUS_INFO_LENGTH_MISMATCH = 0xC0000004
STATUS_INVALID_PARAMETER = 0xC000000D
STATUS_END_OF_FILE = 0xC0000011
STATUS_MORE_PROCESSING_REQUIRED = 0xC0000016
STATUS_ACCESS_DENIED = 0xC0000022
STATUS_OBJECT_NAME_INVALID = 0xC0000033
STATUS_OBJECT_NAME_NOT_FOUND = 0xC0000034
STATUS_OBJECT_NAME_COLLISION = 0xC0000035
STATUS_OBJECT_PATH_INVALID = 0xC0000039
STATUS_OBJECT_PATH_NOT_FOUND = 0xC000003A
STATUS_OBJECT_PATH_SYNTAX_BAD = 0xC000003B
STATUS_LOGON_FAILURE = 0xC000006D
STATUS_NOT_SUPPORTED = 0xC00000BB
STATUS_FILE_CLOSED = 0xC0000128
STATUS_NOT_A_DIRECTORY = 0xC0000103
STATUS_STOPPED_ON_SYMLINK = 0x8000002D
STATUS_USER_SESSION_DELETED = 0xC0000203
STATUS_NETWORK_NAME_DELETED = 0xC00000C9

STATUS_NAMES = {
    0x00000000: "STATUS_SUCCESS",
    0x00000103: "STATUS_PENDING",
    0x80000005: "STATUS_BUFFER_OVERFLOW",
    0x80000006: "STATUS_NO_MORE_FILES",
    0x8000002D: "STATUS_STOPPED_ON_SYMLINK",
    0xC0000001: "STATUS_UNSUCCESSFUL",
    0xC0000002: "STATUS_NOT_IMPLEMENTED",
    0xC0000003: "STATUS_INVALID_INFO_CLASS",
    0xC0000004: "STATUS_INFO_LENGTH_MISMATCH",
    0xC0000008: "STATUS_INVALID_HANDLE",
    0xC000000D: "STATUS_INVALID_PARAMETER",
    0xC000000F: "STATUS_NO_SUCH_FILE",
    0xC0000010: "STATUS_INVALID_DEVICE_REQUEST",
    0xC0000011: "STATUS_END_OF_FILE",
    0xC0000016: "STATUS_MORE_PROCESSING_REQUIRED",
    0xC0000022: "STATUS_ACCESS_DENIED",
    0xC0000023: "STATUS_BUFFER_TOO_SMALL",
    0xC0000033: "STATUS_OBJECT_NAME_INVALID",
    0xC0000034: "STATUS_OBJECT_NAME_NOT_FOUND",
    0xC0000035: "STATUS_OBJECT_NAME_COLLISION",
    0xC0000039: "STATUS_OBJECT_PATH_INVALID",
    0xC000003A: "STATUS_OBJECT_PATH_NOT_FOUND",
    0xC000003B: "STATUS_OBJECT_PATH_SYNTAX_BAD",
    0xC0000043: "STATUS_SHARING_VIOLATION",
    0xC0000054: "STATUS_FILE_LOCK_CONFLICT",
    0xC0000055: "STATUS_LOCK_NOT_GRANTED",
    0xC0000056: "STATUS_DELETE_PENDING",
    0xC000006D: "STATUS_LOGON_FAILURE",
    0xC00000BA: "STATUS_FILE_IS_A_DIRECTORY",
    0xC00000BB: "STATUS_NOT_SUPPORTED",
    0xC00000C9: "STATUS_NETWORK_NAME_DELETED",
    0xC00000CC: "STATUS_BAD_NETWORK_NAME",
    0xC00000D4: "STATUS_NOT_SAME_DEVICE",
    0xC0000101: "STATUS_DIRECTORY_NOT_EMPTY",
    0xC0000103: "STATUS_NOT_A_DIRECTORY",
    0xC0000106: "STATUS_NAME_TOO_LONG",
    0xC0000121: "STATUS_CANNOT_DELETE",
    0xC0000128: "STATUS_FILE_CLOSED",
    0xC0000203: "STATUS_USER_SESSION_DELETED",
    0xC0000275: "STATUS_NOT_A_REPARSE_POINT",
    0xC05D0000: "STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP",
}


def status_name(st):
    return STATUS_NAMES.get(st, "0x%08X" % st)


# Access mask bits (MS-SMB2 2.2.13.1).
FILE_READ_DATA = 0x00000001
FILE_WRITE_DATA = 0x00000002
FILE_LIST_DIRECTORY = 0x00000001
FILE_ADD_FILE = 0x00000002
FILE_APPEND_DATA = 0x00000004
FILE_READ_EA = 0x00000008
FILE_WRITE_EA = 0x00000010
FILE_EXECUTE = 0x00000020
FILE_READ_ATTRIBUTES = 0x00000080
FILE_WRITE_ATTRIBUTES = 0x00000100
DELETE = 0x00010000
READ_CONTROL = 0x00020000
SYNCHRONIZE = 0x00100000
MAXIMUM_ALLOWED = 0x02000000
GENERIC_ALL = 0x10000000
GENERIC_WRITE = 0x40000000
GENERIC_READ = 0x80000000

# ShareAccess.
FILE_SHARE_READ = 1
FILE_SHARE_WRITE = 2
FILE_SHARE_DELETE = 4
FILE_SHARE_ALL = 7

# CreateDisposition.
FILE_SUPERSEDE = 0
FILE_OPEN = 1
FILE_CREATE = 2
FILE_OPEN_IF = 3
FILE_OVERWRITE = 4
FILE_OVERWRITE_IF = 5

# CreateOptions.
FILE_DIRECTORY_FILE = 0x00000001
FILE_NON_DIRECTORY_FILE = 0x00000040
FILE_DELETE_ON_CLOSE = 0x00001000
FILE_OPEN_REPARSE_POINT = 0x00200000

# File attributes.
FILE_ATTRIBUTE_DIRECTORY = 0x10
FILE_ATTRIBUTE_NORMAL = 0x80

# Info types and classes.
INFO_FILE = 1
INFO_FILESYSTEM = 2
INFO_SECURITY = 3
FILE_DIRECTORY_INFORMATION = 1
FILE_FULL_DIRECTORY_INFORMATION = 2
FILE_BOTH_DIRECTORY_INFORMATION = 3
FILE_BASIC_INFORMATION = 4
FILE_STANDARD_INFORMATION = 5
FILE_RENAME_INFORMATION = 10
FILE_NAMES_INFORMATION = 12
FILE_DISPOSITION_INFORMATION = 13
FILE_ALL_INFORMATION = 18
FILE_ID_BOTH_DIRECTORY_INFORMATION = 37
FILE_ID_FULL_DIRECTORY_INFORMATION = 38

# QUERY_DIRECTORY flags.
SMB2_RESTART_SCANS = 0x01
SMB2_RETURN_SINGLE_ENTRY = 0x02
SMB2_INDEX_SPECIFIED = 0x04
SMB2_REOPEN = 0x10

# Lock flags.
LOCKFLAG_SHARED = 0x1
LOCKFLAG_EXCLUSIVE = 0x2
LOCKFLAG_UNLOCK = 0x4
LOCKFLAG_FAIL_IMMEDIATELY = 0x10

# Capabilities.
CAP_DFS = 0x1
CAP_LEASING = 0x2
CAP_LARGE_MTU = 0x4

# Negotiate contexts.
PREAUTH_INTEGRITY_CAPABILITIES = 0x0001
ENCRYPTION_CAPABILITIES = 0x0002
HASH_SHA512 = 0x0001

# NTLMSSP flags (MS-NLMP 2.2.2.5).
NTLMSSP_NEGOTIATE_UNICODE = 0x00000001
NTLMSSP_NEGOTIATE_OEM = 0x00000002
NTLMSSP_REQUEST_TARGET = 0x00000004
NTLMSSP_NEGOTIATE_NTLM = 0x00000200
NTLMSSP_NEGOTIATE_ANONYMOUS = 0x00000800
NTLMSSP_NEGOTIATE_ALWAYS_SIGN = 0x00008000
NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY = 0x00080000
NTLMSSP_NEGOTIATE_VERSION = 0x02000000

OID_SPNEGO = bytes([0x2B, 0x06, 0x01, 0x05, 0x05, 0x02])
OID_NTLMSSP = bytes([0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0A])

# The reserved MessageId of unsolicited oplock/lease break notifications.
UNSOLICITED_MID = 0xFFFFFFFFFFFFFFFF


class SmbError(Exception):
    """The server did something a well-behaved exchange does not allow
    (closed the connection, sent garbage, or nothing in time)."""


class ConnectionClosed(SmbError):
    pass


class Timeout(SmbError):
    pass


# --- helpers -------------------------------------------------------------------


def utf16(s):
    return s.encode("utf-16-le")


def from_utf16(b):
    return b.decode("utf-16-le", errors="replace")


def netbios(payload):
    """Direct TCP transport framing (MS-SMB2 2.1): 0x00 + 24-bit length."""
    n = len(payload)
    if n > 0xFFFFFF:
        raise ValueError("frame too large for the direct TCP transport")
    return bytes([0, (n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF]) + payload


def pad8(b):
    return b + b"\0" * ((8 - len(b) % 8) % 8)


def credit_charge_for(nbytes):
    """CreditCharge for a payload (MS-SMB2 3.1.5.2): one per 64 KiB, min 1."""
    return max(1, (nbytes + 65535) // 65536)


class Header:
    """The 64-byte SMB2 packet header (MS-SMB2 2.2.1.1 sync, 2.2.1.2 async)."""

    FMT = "<4sHHIHHIIQ"  # up to and including MessageId (32 bytes)

    def __init__(self, command=0, message_id=0, credit_charge=0, credit_request=1,
                 flags=0, next_command=0, status=0, tree_id=0, session_id=0,
                 async_id=None, process_id=0xFEFF, structure_size=HEADER_SIZE,
                 protocol=SMB2_MAGIC, signature=b"\0" * 16):
        self.protocol = protocol
        self.structure_size = structure_size
        self.credit_charge = credit_charge
        self.status = status  # ChannelSequence/Reserved in requests
        self.command = command
        self.credits = credit_request  # CreditRequest / CreditResponse
        self.flags = flags
        self.next_command = next_command
        self.message_id = message_id
        self.async_id = async_id
        self.process_id = process_id
        self.tree_id = tree_id
        self.session_id = session_id
        self.signature = signature

    def pack(self):
        b = struct.pack(self.FMT, self.protocol, self.structure_size, self.credit_charge,
                        self.status, self.command, self.credits, self.flags,
                        self.next_command, self.message_id)
        if self.flags & FLAGS_ASYNC_COMMAND:
            b += struct.pack("<Q", self.async_id or 0)
        else:
            b += struct.pack("<II", self.process_id, self.tree_id)
        b += struct.pack("<Q", self.session_id) + self.signature
        assert len(b) == HEADER_SIZE
        return b

    @classmethod
    def parse(cls, b):
        if len(b) < HEADER_SIZE:
            raise SmbError("message shorter than an SMB2 header: %r" % b[:80])
        h = cls()
        (h.protocol, h.structure_size, h.credit_charge, h.status, h.command, h.credits,
         h.flags, h.next_command, h.message_id) = struct.unpack_from(cls.FMT, b, 0)
        if h.flags & FLAGS_ASYNC_COMMAND:
            (h.async_id,) = struct.unpack_from("<Q", b, 32)
        else:
            h.process_id, h.tree_id = struct.unpack_from("<II", b, 32)
        (h.session_id,) = struct.unpack_from("<Q", b, 40)
        h.signature = b[48:64]
        return h

    def __repr__(self):
        return ("Header(cmd=0x%04x status=%s mid=%d credits=%d flags=0x%x next=%d tid=0x%x "
                "sid=0x%x)" % (self.command, status_name(self.status), self.message_id,
                               self.credits, self.flags, self.next_command, self.tree_id,
                               self.session_id))


class Reply(tuple):
    """(status, body) of one response, with .hdr (Header) and .raw (bytes)."""

    def __new__(cls, hdr, raw):
        self = super().__new__(cls, (hdr.status, raw[HEADER_SIZE:]))
        self.hdr = hdr
        self.raw = raw
        return self

    @property
    def status(self):
        return self[0]

    @property
    def body(self):
        return self[1]

    def __repr__(self):
        return "Reply(%s, %d body bytes)" % (status_name(self.status), len(self.body))


def split_messages(frame):
    """The SMB2 messages of a (possibly compound) response frame."""
    out = []
    pos = 0
    while True:
        if len(frame) - pos < HEADER_SIZE:
            raise SmbError("truncated message in a response frame")
        h = Header.parse(frame[pos:pos + HEADER_SIZE])
        end = len(frame) if h.next_command == 0 else pos + h.next_command
        out.append(Reply(h, frame[pos:end]))
        if h.next_command == 0:
            return out
        pos = end


def body_file_id(create_body):
    """FileId (16 bytes) of a CREATE response body."""
    return create_body[64:80]


# --- DER / SPNEGO / NTLMSSP ----------------------------------------------------


def der(tag, content):
    n = len(content)
    if n < 0x80:
        ln = bytes([n])
    elif n < 0x100:
        ln = bytes([0x81, n])
    elif n < 0x10000:
        ln = bytes([0x82, n >> 8, n & 0xFF])
    else:
        ln = bytes([0x83, n >> 16, (n >> 8) & 0xFF, n & 0xFF])
    return bytes([tag]) + ln + content


def spnego_init(mech_token):
    """GSS InitialContextToken with a NegTokenInit offering NTLMSSP (RFC 4178)."""
    mech_types = der(0xA0, der(0x30, der(0x06, OID_NTLMSSP)))
    token = der(0xA2, der(0x04, mech_token))
    neg_token_init = der(0xA0, der(0x30, mech_types + token))
    return der(0x60, der(0x06, OID_SPNEGO) + neg_token_init)


def spnego_resp(response_token):
    """NegTokenResp carrying responseToken (RFC 4178 4.2.2)."""
    return der(0xA1, der(0x30, der(0xA2, der(0x04, response_token))))


def ntlm_negotiate(flags=None):
    if flags is None:
        flags = (NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_NEGOTIATE_OEM | NTLMSSP_REQUEST_TARGET
                 | NTLMSSP_NEGOTIATE_NTLM | NTLMSSP_NEGOTIATE_ALWAYS_SIGN
                 | NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY)
    # Signature, MessageType 1, NegotiateFlags, DomainNameFields, WorkstationFields.
    return b"NTLMSSP\0" + struct.pack("<II", 1, flags) + b"\0" * 16


def ntlm_authenticate_anonymous(flags=None):
    """AUTHENTICATE with empty user, domain and NT response, and a one-byte
    zero LM response: an anonymous logon (MS-NLMP 3.2.5.1.2)."""
    if flags is None:
        flags = (NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_NEGOTIATE_NTLM
                 | NTLMSSP_NEGOTIATE_ANONYMOUS)
    payload_off = 72  # fixed fields (64) + Version (8), no MIC
    lm = b"\0"

    def fields(length, offset):
        return struct.pack("<HHI", length, length, offset)

    m = b"NTLMSSP\0" + struct.pack("<I", 3)
    m += fields(len(lm), payload_off)            # LmChallengeResponse
    m += fields(0, payload_off + len(lm))        # NtChallengeResponse
    m += fields(0, payload_off + len(lm))        # DomainName
    m += fields(0, payload_off + len(lm))        # UserName
    m += fields(0, payload_off + len(lm))        # Workstation
    m += fields(0, payload_off + len(lm))        # EncryptedRandomSessionKey
    m += struct.pack("<I", flags)
    m += bytes([6, 1]) + struct.pack("<H", 7600) + b"\0\0\0" + bytes([15])  # Version
    assert len(m) == payload_off
    return m + lm


def ntlm_authenticate_v2(challenge, user, domain, nt_hash, flags=None):
    """An NTLMv2 AUTHENTICATE (MS-NLMP 3.3.2) computed from the NT hash,
    without key exchange, signing or a MIC. challenge is the server's
    CHALLENGE message."""
    import hmac, hashlib, os, time
    if flags is None:
        flags = (NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_NEGOTIATE_NTLM
                 | NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY)
    server_challenge = challenge[24:32]
    ti_len, _, ti_off = struct.unpack_from("<HHI", challenge, 40)
    target_info = challenge[ti_off:ti_off + ti_len]
    md5 = lambda k, m: hmac.new(k, m, hashlib.md5).digest()
    owf = md5(nt_hash, utf16(user.upper() + domain))
    client_challenge = os.urandom(8)
    ts = struct.pack("<Q", int((time.time() + 11644473600) * 10000000))
    blob = b"\x01\x01" + b"\0" * 6 + ts + client_challenge + b"\0" * 4 + target_info + b"\0" * 4
    nt = md5(owf, server_challenge + blob) + blob
    lm = md5(owf, server_challenge + client_challenge) + client_challenge
    fields_payload = [lm, nt, utf16(domain), utf16(user), utf16("RAWTEST"), b""]
    off = 72
    m = b"NTLMSSP\0" + struct.pack("<I", 3)
    payload = b""
    for f in fields_payload:
        m += struct.pack("<HHI", len(f), len(f), off + len(payload))
        payload += f
    m += struct.pack("<I", flags)
    m += bytes([6, 1]) + struct.pack("<H", 7600) + b"\0\0\0" + bytes([15])
    return m + payload


def find_ntlmssp(blob):
    i = blob.find(b"NTLMSSP\0")
    if i < 0:
        raise SmbError("no NTLMSSP message in the security buffer")
    return blob[i:]


# --- request bodies ------------------------------------------------------------


def negotiate_body(dialects, security_mode=1, capabilities=CAP_LARGE_MTU | CAP_DFS,
                   client_guid=None, salt=None):
    """NEGOTIATE request body (MS-SMB2 2.2.3); with 0x0311 among the
    dialects, a PREAUTH_INTEGRITY_CAPABILITIES context (SHA-512, 32-byte
    salt) is appended."""
    client_guid = client_guid or uuid.uuid4().bytes_le
    dl = b"".join(struct.pack("<H", d) for d in dialects)
    fixed = struct.pack("<HHHHI16s", 36, len(dialects), security_mode, 0, capabilities,
                        client_guid)
    if SMB3_11 in dialects:
        salt = salt if salt is not None else os.urandom(32)
        ctx_data = struct.pack("<HHH", 1, len(salt), HASH_SHA512) + salt
        ctx = struct.pack("<HHI", PREAUTH_INTEGRITY_CAPABILITIES, len(ctx_data), 0) + ctx_data
        # Contexts start 8-byte aligned, measured from the header.
        ctx_off = HEADER_SIZE + 36 + len(dl)
        ctx_off += (8 - ctx_off % 8) % 8
        body = fixed + struct.pack("<IHH", ctx_off, 1, 0) + dl
        body += b"\0" * (ctx_off - HEADER_SIZE - len(body))
        return body + ctx
    return fixed + struct.pack("<Q", 0) + dl


def session_setup_body(security_buffer, flags=0, security_mode=1, capabilities=0,
                       previous_session_id=0):
    off = HEADER_SIZE + 24
    return struct.pack("<HBBIIHHQ", 25, flags, security_mode, capabilities, 0, off,
                       len(security_buffer), previous_session_id) + security_buffer


def tree_connect_body(path):
    p = utf16(path)
    return struct.pack("<HHHH", 9, 0, HEADER_SIZE + 8, len(p)) + p


def create_body(name, desired_access=GENERIC_READ, disposition=FILE_OPEN, options=0,
                share_access=FILE_SHARE_ALL, file_attributes=0, oplock=0,
                impersonation=2, contexts=b""):
    n = utf16(name)
    name_off = HEADER_SIZE + 56
    ctx_off = 0
    buf = n
    if contexts:
        ctx_off = HEADER_SIZE + 56 + len(n)
        ctx_off += (8 - ctx_off % 8) % 8
        buf = n + b"\0" * (ctx_off - name_off - len(n)) + contexts
    if not buf:
        buf = b"\0"  # the variable part is at least one byte (StructureSize 57)
    return struct.pack("<HBBIQQIIIIIHHII", 57, 0, oplock, impersonation, 0, 0, desired_access,
                       file_attributes, share_access, disposition, options, name_off, len(n),
                       ctx_off, len(contexts)) + buf


def close_body(fid, flags=0):
    return struct.pack("<HHI", 24, flags, 0) + fid


def read_body(fid, offset, length, minimum=0):
    return struct.pack("<HBBIQ16sIIIHH", 49, 0x50, 0, length, offset, fid, minimum, 0, 0,
                       0, 0) + b"\0"


def write_body(fid, offset, data):
    return struct.pack("<HHIQ16sIIHHI", 49, HEADER_SIZE + 48, len(data), offset, fid, 0, 0,
                       0, 0, 0) + data


def query_directory_body(fid, pattern="*", info_class=FILE_ID_BOTH_DIRECTORY_INFORMATION,
                         flags=0, output_length=65536, file_index=0):
    p = utf16(pattern)
    return struct.pack("<HBBI16sHHI", 33, info_class, flags, file_index, fid,
                       HEADER_SIZE + 32 if p else 0, len(p), output_length) + (p or b"\0")


def query_info_body(fid, info_type, info_class, output_length=65536, input_buffer=b"",
                    additional=0, flags=0):
    in_off = HEADER_SIZE + 40 if input_buffer else 0
    return struct.pack("<HBBIHHIII16s", 41, info_type, info_class, output_length, in_off, 0,
                       len(input_buffer), additional, flags, fid) + (input_buffer or b"\0")


def set_info_body(fid, info_type, info_class, buffer, additional=0):
    return struct.pack("<HBBIHHI16s", 33, info_type, info_class, len(buffer),
                       HEADER_SIZE + 32, 0, additional, fid) + buffer


def rename_info(new_name, replace=False):
    """FILE_RENAME_INFORMATION_TYPE_2 (MS-FSCC 2.4.42.2): ReplaceIfExists(1)
    Reserved(7) RootDirectory(8) FileNameLength(4) FileName."""
    n = utf16(new_name)
    return struct.pack("<B7sQI", 1 if replace else 0, b"\0" * 7, 0, len(n)) + n


def lock_body(fid, locks, lock_count=None, sequence=0):
    """locks: [(offset, length, flags)]; lock_count overrides LockCount."""
    elems = b"".join(struct.pack("<QQII", o, l, f, 0) for (o, l, f) in locks)
    return struct.pack("<HHI16s", 48, len(locks) if lock_count is None else lock_count,
                       sequence, fid) + elems


def echo_body():
    return struct.pack("<HH", 4, 0)


def ioctl_body(fid, ctl_code, input_data=b"", max_output=65536, flags=1):
    in_off = HEADER_SIZE + 56 if input_data else 0
    return struct.pack("<HHI16sIIIIIIII", 57, 0, ctl_code, fid, in_off, len(input_data), 0, 0,
                       0, max_output, flags, 0) + (input_data or b"\0")


# --- directory listings --------------------------------------------------------


def parse_dir_entries(buf, info_class=FILE_ID_BOTH_DIRECTORY_INFORMATION):
    """Entries of a QUERY_DIRECTORY output buffer as dicts (MS-FSCC 2.4)."""
    out = []
    pos = 0
    while pos < len(buf):
        nxt, idx = struct.unpack_from("<II", buf, pos)
        e = {"file_index": idx}
        if info_class == FILE_NAMES_INFORMATION:
            (nlen,) = struct.unpack_from("<I", buf, pos + 8)
            e["name"] = from_utf16(buf[pos + 12:pos + 12 + nlen])
        else:
            (e["creation_time"], e["last_access_time"], e["last_write_time"],
             e["change_time"], e["end_of_file"], e["allocation_size"], e["attributes"],
             nlen) = struct.unpack_from("<QQQQQQII", buf, pos + 8)
            if info_class == FILE_DIRECTORY_INFORMATION:
                name_at = pos + 64
            elif info_class == FILE_FULL_DIRECTORY_INFORMATION:
                name_at = pos + 68
            elif info_class == FILE_ID_FULL_DIRECTORY_INFORMATION:
                (e["file_id"],) = struct.unpack_from("<Q", buf, pos + 72)
                name_at = pos + 80
            elif info_class == FILE_BOTH_DIRECTORY_INFORMATION:
                name_at = pos + 94
            elif info_class == FILE_ID_BOTH_DIRECTORY_INFORMATION:
                (e["file_id"],) = struct.unpack_from("<Q", buf, pos + 96)
                name_at = pos + 104
            else:
                raise ValueError("unsupported information class %d" % info_class)
            e["name"] = from_utf16(buf[name_at:name_at + nlen])
        out.append(e)
        if nxt == 0:
            break
        pos += nxt
    return out


# --- the connection ------------------------------------------------------------


class Connection:
    """One TCP connection to an SMB2 server, with MessageId and credit
    bookkeeping for sequential requests."""

    def __init__(self, host="127.0.0.1", port=445, timeout=10.0, connect=True):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.sock = None
        self.next_mid = 0
        self.credits = 1  # a new connection may send one request (NEGOTIATE)
        self.dialect = None
        self.max_read = 65536
        self.max_write = 65536
        self.max_transact = 65536
        self.server_caps = 0
        self.session_id = 0
        self.tree_id = 0
        self.session_flags = 0
        self.credit_request = 64
        self._rbuf = b""
        if connect:
            self.connect()

    # -- transport --

    def connect(self):
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close_socket(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None

    def send_raw(self, data):
        """Sends bytes as they are: no framing, no bookkeeping."""
        self.sock.sendall(data)

    def send_frame(self, payload):
        """Sends one NetBIOS-framed payload."""
        self.sock.sendall(netbios(payload))

    def _recv_some(self, deadline):
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout("no data from the server in time")
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            try:
                chunk = self.sock.recv(1 << 20)
            except (ConnectionResetError, BrokenPipeError):
                raise ConnectionClosed("connection reset by the server")
            except socket.timeout:
                continue
            if not chunk:
                raise ConnectionClosed("connection closed by the server")
            return chunk

    def _recv_exact(self, n, deadline):
        while len(self._rbuf) < n:
            self._rbuf += self._recv_some(deadline)
        out, self._rbuf = self._rbuf[:n], self._rbuf[n:]
        return out

    def recv_frame(self, timeout=None):
        """One frame's payload (without the 4-byte transport header).
        Raises ConnectionClosed or Timeout."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        nb = self._recv_exact(4, deadline)
        if nb[0] != 0:
            raise SmbError("bad transport header from the server: %s" % nb.hex())
        n = (nb[1] << 16) | (nb[2] << 8) | nb[3]
        return self._recv_exact(n, deadline)

    def wait_closed(self, timeout=5.0):
        """True when the server closes the connection within timeout (any
        frames it sends first are read and dropped), False otherwise."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                self._recv_some(deadline)
        except ConnectionClosed:
            return True
        except Timeout:
            return False

    def recv_outcome(self, timeout=5.0):
        """What the server does next: ("reply", [Reply...]) for a frame,
        ("closed", None) when it closes the connection, ("timeout", None)
        when nothing comes, ("garbage", bytes) for an unparsable frame.
        Interim STATUS_PENDING responses are skipped."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                frame = self.recv_frame(timeout=max(0.0, deadline - time.monotonic()))
            except ConnectionClosed:
                return ("closed", None)
            except Timeout:
                return ("timeout", None)
            try:
                msgs = split_messages(frame)
            except SmbError:
                return ("garbage", frame)
            for m in msgs:
                self.credits += m.hdr.credits
            msgs = [m for m in msgs if not self._interim(m)]
            if msgs:
                return ("reply", msgs)

    @staticmethod
    def _interim(m):
        return (m.hdr.status == STATUS_PENDING and m.hdr.flags & FLAGS_ASYNC_COMMAND
                and len(m.body) >= 8 and struct.unpack_from("<H", m.body, 0)[0] == 9)

    # -- requests --

    def large_mtu(self):
        return (self.dialect is not None and self.dialect not in (SMB2_02, SMB2_WILDCARD)
                and self.server_caps & CAP_LARGE_MTU)

    def build(self, command, body, payload=0, credit_charge=None, credit_request=None,
              flags=0, tree_id=None, session_id=None, message_id=None, account=True):
        """Bytes of one request message. Assigns the next MessageId and
        charges credits for `payload` bytes unless told otherwise."""
        if credit_charge is None:
            credit_charge = credit_charge_for(payload) if self.large_mtu() else 0
        charge = max(1, credit_charge)
        mid = self.next_mid if message_id is None else message_id
        if account:
            if self.credits < charge:
                raise SmbError("out of credits: have %d, need %d" % (self.credits, charge))
            self.credits -= charge
            if message_id is None:
                self.next_mid += charge
        h = Header(command=command, message_id=mid, credit_charge=credit_charge,
                   credit_request=self.credit_request if credit_request is None
                   else credit_request, flags=flags,
                   tree_id=self.tree_id if tree_id is None else tree_id,
                   session_id=self.session_id if session_id is None else session_id)
        return h.pack() + body

    def send_message(self, msg):
        self.send_frame(msg)

    def request(self, command, body, payload=0, timeout=None, **kw):
        """Sends one request and returns its Reply (waits past interim
        STATUS_PENDING responses and skips unsolicited breaks)."""
        msg = self.build(command, body, payload=payload, **kw)
        mid = struct.unpack_from("<Q", msg, 24)[0]
        self.send_message(msg)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            frame = self.recv_frame(timeout=max(0.0, deadline - time.monotonic()))
            for m in split_messages(frame):
                self.credits += m.hdr.credits
                if m.hdr.message_id == UNSOLICITED_MID:
                    continue  # oplock/lease break notification
                if m.hdr.message_id != mid:
                    raise SmbError("reply for MessageId %d while waiting for %d"
                                   % (m.hdr.message_id, mid))
                if self._interim(m):
                    continue
                return m

    # -- commands --

    def negotiate(self, dialects=ALL_DIALECTS, **kw):
        r = self.request(NEGOTIATE, negotiate_body(list(dialects), **kw))
        if r.status == STATUS_SUCCESS:
            b = r.body
            self.dialect = struct.unpack_from("<H", b, 4)[0]
            (self.server_caps, self.max_transact, self.max_read,
             self.max_write) = struct.unpack_from("<IIII", b, 24)
        return r

    def session_setup(self, security_buffer, **kw):
        body = session_setup_body(security_buffer)
        r = self.request(SESSION_SETUP, body, **kw)
        if r.status in (STATUS_SUCCESS, STATUS_MORE_PROCESSING_REQUIRED):
            self.session_id = r.hdr.session_id
        return r

    def session_setup_anonymous(self, spnego=True):
        """The two-leg anonymous NTLMSSP logon. Returns the final Reply;
        raises SmbError when the first leg is not MORE_PROCESSING_REQUIRED."""
        neg = ntlm_negotiate()
        r = self.session_setup(spnego_init(neg) if spnego else neg)
        if r.status != STATUS_MORE_PROCESSING_REQUIRED:
            raise SmbError("SESSION_SETUP leg 1: %s" % status_name(r.status))
        off, ln = struct.unpack_from("<HH", r.body, 4)
        challenge = find_ntlmssp(r.raw[off:off + ln])
        if struct.unpack_from("<I", challenge, 8)[0] != 2:
            raise SmbError("SESSION_SETUP leg 1 did not carry an NTLMSSP CHALLENGE")
        auth = ntlm_authenticate_anonymous()
        r = self.session_setup(spnego_resp(auth) if spnego else auth)
        if r.status == STATUS_SUCCESS:
            self.session_flags = struct.unpack_from("<H", r.body, 2)[0]
        return r

    def session_setup_ntlmv2(self, user, nt_hash, domain="WORKGROUP", spnego=True):
        """A two-leg NTLMv2 logon with the user's NT hash (16 bytes)."""
        neg = ntlm_negotiate()
        r = self.session_setup(spnego_init(neg) if spnego else neg)
        if r.status != STATUS_MORE_PROCESSING_REQUIRED:
            raise SmbError("SESSION_SETUP leg 1: %s" % status_name(r.status))
        off, ln = struct.unpack_from("<HH", r.body, 4)
        challenge = find_ntlmssp(r.raw[off:off + ln])
        auth = ntlm_authenticate_v2(challenge, user, domain, nt_hash)
        r = self.session_setup(spnego_resp(auth) if spnego else auth)
        if r.status == STATUS_SUCCESS:
            self.session_flags = struct.unpack_from("<H", r.body, 2)[0]
        return r

    def tree_connect(self, path):
        r = self.request(TREE_CONNECT, tree_connect_body(path), tree_id=0)
        if r.status == STATUS_SUCCESS:
            self.tree_id = r.hdr.tree_id
        return r

    def tree_disconnect(self):
        return self.request(TREE_DISCONNECT, struct.pack("<HH", 4, 0))

    def logoff(self):
        return self.request(LOGOFF, struct.pack("<HH", 4, 0))

    def create(self, name, desired_access=GENERIC_READ, disposition=FILE_OPEN, options=0,
               share_access=FILE_SHARE_ALL, file_attributes=0, **kw):
        return self.request(CREATE, create_body(name, desired_access, disposition, options,
                                                share_access, file_attributes, **kw))

    def close(self, fid, flags=0):
        return self.request(CLOSE, close_body(fid, flags))

    def flush(self, fid):
        return self.request(FLUSH, struct.pack("<HHI", 24, 0, 0) + fid)

    def read(self, fid, offset, length):
        """READ; on success the Reply's body is replaced by the data read."""
        r = self.request(READ, read_body(fid, offset, length), payload=length)
        if r.status == STATUS_SUCCESS:
            data_off = r.body[2]
            (data_len,) = struct.unpack_from("<I", r.body, 4)
            data = r.raw[data_off:data_off + data_len]
            out = Reply(r.hdr, r.raw[:HEADER_SIZE] + data)
            return out
        return r

    def write(self, fid, offset, data):
        return self.request(WRITE, write_body(fid, offset, data), payload=len(data))

    def query_directory(self, fid, pattern="*", info_class=FILE_ID_BOTH_DIRECTORY_INFORMATION,
                        flags=0, output_length=65536):
        """QUERY_DIRECTORY; on success the Reply's body is the output buffer."""
        r = self.request(QUERY_DIRECTORY,
                         query_directory_body(fid, pattern, info_class, flags, output_length),
                         payload=output_length)
        if r.status == STATUS_SUCCESS:
            off, ln = struct.unpack_from("<HI", r.body, 2)
            return Reply(r.hdr, r.raw[:HEADER_SIZE] + r.raw[off:off + ln])
        return r

    def list_directory(self, fid, pattern="*", info_class=FILE_ID_BOTH_DIRECTORY_INFORMATION):
        """All entries (dicts) of an open directory; raises on a failure
        other than STATUS_NO_MORE_FILES."""
        entries = []
        flags = SMB2_RESTART_SCANS
        while True:
            st, buf = self.query_directory(fid, pattern, info_class, flags)
            flags = 0
            if st == STATUS_NO_MORE_FILES:
                return entries
            if st != STATUS_SUCCESS:
                raise SmbError("QUERY_DIRECTORY: %s" % status_name(st))
            entries += parse_dir_entries(buf, info_class)

    def query_info(self, fid, info_type, info_class, output_length=65536, input_buffer=b"",
                   additional=0):
        """QUERY_INFO; on success the Reply's body is the output buffer."""
        r = self.request(QUERY_INFO,
                         query_info_body(fid, info_type, info_class, output_length,
                                         input_buffer, additional),
                         payload=max(output_length, len(input_buffer)))
        if r.status in (STATUS_SUCCESS, STATUS_BUFFER_OVERFLOW):
            off, ln = struct.unpack_from("<HI", r.body, 2)
            return Reply(r.hdr, r.raw[:HEADER_SIZE] + r.raw[off:off + ln])
        return r

    def set_info(self, fid, info_type, info_class, buffer, additional=0):
        return self.request(SET_INFO, set_info_body(fid, info_type, info_class, buffer,
                                                    additional), payload=len(buffer))

    def rename(self, fid, new_name, replace=False):
        return self.set_info(fid, INFO_FILE, FILE_RENAME_INFORMATION,
                             rename_info(new_name, replace))

    def set_delete_on_close(self, fid, delete=True):
        return self.set_info(fid, INFO_FILE, FILE_DISPOSITION_INFORMATION,
                             bytes([1 if delete else 0]))

    def lock(self, fid, locks):
        return self.request(LOCK, lock_body(fid, locks))

    def echo(self):
        return self.request(ECHO, echo_body())

    # -- conveniences --

    def login(self, share_path=None, dialects=ALL_DIALECTS, spnego=True):
        """NEGOTIATE + anonymous SESSION_SETUP (+ TREE_CONNECT), raising
        SmbError on any failure."""
        r = self.negotiate(dialects)
        if r.status != STATUS_SUCCESS:
            raise SmbError("NEGOTIATE: %s" % status_name(r.status))
        r = self.session_setup_anonymous(spnego=spnego)
        if r.status != STATUS_SUCCESS:
            raise SmbError("SESSION_SETUP: %s" % status_name(r.status))
        if share_path is not None:
            r = self.tree_connect(share_path)
            if r.status != STATUS_SUCCESS:
                raise SmbError("TREE_CONNECT %s: %s" % (share_path, status_name(r.status)))
        return self

    def open(self, name, **kw):
        """CREATE that must succeed; returns the FileId."""
        st, body = self.create(name, **kw)
        if st != STATUS_SUCCESS:
            raise SmbError("CREATE %r: %s" % (name, status_name(st)))
        return body_file_id(body)

    def read_all(self, fid, size, chunk=None):
        chunk = chunk or min(self.max_read, 1 << 20)
        out = bytearray()
        while len(out) < size:
            st, data = self.read(fid, len(out), min(chunk, size - len(out)))
            if st != STATUS_SUCCESS:
                raise SmbError("READ at %d: %s" % (len(out), status_name(st)))
            if not data:
                break
            out += data
        return bytes(out)

    def write_all(self, fid, data, chunk=None):
        chunk = chunk or min(self.max_write, 1 << 20)
        pos = 0
        while pos < len(data):
            part = data[pos:pos + chunk]
            st, body = self.write(fid, pos, part)
            if st != STATUS_SUCCESS:
                raise SmbError("WRITE at %d: %s" % (pos, status_name(st)))
            (count,) = struct.unpack_from("<I", body, 4)
            if count != len(part):
                raise SmbError("WRITE at %d wrote %d of %d bytes" % (pos, count, len(part)))
            pos += count
        return pos


def smb1_negotiate(dialects):
    """An SMB1 SMB_COM_NEGOTIATE request (MS-CIFS 2.2.4.52.1) offering the
    given dialect strings, without the transport header."""
    hdr = SMB1_MAGIC + bytes([0x72]) + b"\0" * 4  # command, status
    hdr += bytes([0x18]) + struct.pack("<H", 0xC853)  # flags, flags2
    hdr += b"\0" * 12 + struct.pack("<HHHH", 0, 0xFEFF, 0, 0)  # pidhigh..mid
    assert len(hdr) == 32
    data = b"".join(b"\x02" + d.encode("ascii") + b"\0" for d in dialects)
    return hdr + bytes([0]) + struct.pack("<H", len(data)) + data
