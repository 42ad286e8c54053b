/**
 * iPXE error codes as printed in "(http://ipxe.org/XXXXXXXX)" and "Error 0xXXXXXXXX".
 * Layout (iPXE include/errno.h): bits 30-24 POSIX errno index, 23-16 disambiguator,
 * 15-8 module id, 7-0 platform (PXENV) status.
 */

/** iPXE's errno index (top byte) → [name, text]; alphabetical as in iPXE's errno.h. */
const ERRNO: Record<number, readonly [string, string]> = {
  0x00: ['ENOERR', 'Operation completed successfully'],
  0x01: ['E2BIG', 'Argument list too long'],
  0x02: ['EACCES', 'Permission denied'],
  0x03: ['EADDRINUSE', 'Address already in use'],
  0x04: ['EADDRNOTAVAIL', 'Address not available'],
  0x05: ['EAFNOSUPPORT', 'Address family not supported'],
  0x06: ['EAGAIN', 'Resource temporarily unavailable'],
  0x07: ['EALREADY', 'Connection already in progress'],
  0x08: ['EBADF', 'Bad file descriptor'],
  0x09: ['EBADMSG', 'Bad message'],
  0x0a: ['EBUSY', 'Device or resource busy'],
  0x0b: ['ECANCELED', 'Operation canceled'],
  0x0c: ['ECHILD', 'No child processes'],
  0x0d: ['ECONNABORTED', 'Connection aborted'],
  0x0e: ['ECONNREFUSED', 'Connection refused'],
  0x0f: ['ECONNRESET', 'Connection reset'],
  0x10: ['EDEADLK', 'Resource deadlock avoided'],
  0x11: ['EDESTADDRREQ', 'Destination address required'],
  0x12: ['EDOM', 'Mathematics argument out of domain of function'],
  0x13: ['EDQUOT', 'Disk quota exceeded'],
  0x14: ['EEXIST', 'File exists'],
  0x15: ['EFAULT', 'Bad address'],
  0x16: ['EFBIG', 'File too large'],
  0x17: ['EHOSTUNREACH', 'Host is unreachable'],
  0x18: ['EIDRM', 'Identifier removed'],
  0x19: ['EILSEQ', 'Illegal byte sequence'],
  0x1a: ['EINPROGRESS', 'Operation in progress'],
  0x1b: ['EINTR', 'Interrupted function call'],
  0x1c: ['EINVAL', 'Invalid argument'],
  0x1d: ['EIO', 'Input/output error'],
  0x1e: ['EISCONN', 'Socket is connected'],
  0x1f: ['EISDIR', 'Is a directory'],
  0x20: ['ELOOP', 'Too many levels of symbolic links'],
  0x21: ['EMFILE', 'Too many open files'],
  0x22: ['EMLINK', 'Too many links'],
  0x23: ['EMSGSIZE', 'Message too long'],
  0x24: ['EMULTIHOP', 'Multihop attempted'],
  0x25: ['ENAMETOOLONG', 'Filename too long'],
  0x26: ['ENETDOWN', 'Network is down'],
  0x27: ['ENETRESET', 'Connection aborted by network'],
  0x28: ['ENETUNREACH', 'Network unreachable'],
  0x29: ['ENFILE', 'Too many open files in system'],
  0x2a: ['ENOBUFS', 'No buffer space available'],
  0x2b: ['ENODATA', 'No message is available on the STREAM head read queue'],
  0x2c: ['ENODEV', 'No such device'],
  0x2d: ['ENOENT', 'No such file or directory'],
  0x2e: ['ENOEXEC', 'Exec format error'],
  0x2f: ['ENOLCK', 'No locks available'],
  0x30: ['ENOLINK', 'Link has been severed'],
  0x31: ['ENOMEM', 'Not enough space'],
  0x32: ['ENOMSG', 'No message of the desired type'],
  0x33: ['ENOPROTOOPT', 'Protocol not available'],
  0x34: ['ENOSPC', 'No space left on device'],
  0x35: ['ENOSR', 'No STREAM resources'],
  0x36: ['ENOSTR', 'Not a STREAM'],
  0x37: ['ENOSYS', 'Function not implemented'],
  0x38: ['ENOTCONN', 'The socket is not connected'],
  0x39: ['ENOTDIR', 'Not a directory'],
  0x3a: ['ENOTEMPTY', 'Directory not empty'],
  0x3b: ['ENOTSOCK', 'Not a socket'],
  0x3c: ['ENOTSUP', 'Operation not supported'],
  0x3d: ['ENOTTY', 'Inappropriate I/O control operation'],
  0x3e: ['ENXIO', 'No such device or address'],
  0x3f: ['EOPNOTSUPP', 'Operation not supported on socket'],
  0x40: ['EOVERFLOW', 'Value too large to be stored in data type'],
  0x41: ['EPERM', 'Operation not permitted'],
  0x42: ['EPIPE', 'Broken pipe'],
  0x43: ['EPROTO', 'Protocol error'],
  0x44: ['EPROTONOSUPPORT', 'Protocol not supported'],
  0x45: ['EPROTOTYPE', 'Protocol wrong type for socket'],
  0x46: ['ERANGE', 'Result too large'],
  0x47: ['EROFS', 'Read-only file system'],
  0x48: ['ESPIPE', 'Invalid seek'],
  0x49: ['ESRCH', 'No such process'],
  0x4a: ['ESTALE', 'Stale file handle'],
  0x4b: ['ETIME', 'Timer expired'],
  0x4c: ['ETIMEDOUT', 'Connection timed out'],
  0x4d: ['ETXTBSY', 'Text file busy'],
  0x4e: ['EWOULDBLOCK', 'Operation would block'],
  0x4f: ['EXDEV', 'Improper link'],
};

export interface KnownIpxeError {
  /** Catalog code (stable). */
  code: string;
  stage: 'network' | 'chain';
  meaning: string;
  hint: string;
}

/** Full codes seen on this machine, with what they meant there. */
export const KNOWN_IPXE_ERRORS: Record<string, KnownIpxeError> = {
  '2d0c613b': { code: 'IPXE_HTTP_404', stage: 'chain', meaning: 'HTTP 404 Not Found', hint: 'the chain URL names a file the server does not have: check the path (and ${…} variables) in the script and the route in the stub' },
  '410c613c': { code: 'IPXE_HTTP_403', stage: 'chain', meaning: 'HTTP 403 Forbidden', hint: 'the server refused the request: check the route\'s access rules (query parameters such as serial=)' },
  '0243613c': { code: 'IPXE_HTTP_401', stage: 'chain', meaning: 'HTTP 401 Unauthorized', hint: 'the server wants credentials: put them in the URL (http://user:pass@host/) or set username/password in the script' },
  '1d0c6439': { code: 'IPXE_HTTP_ERROR', stage: 'chain', meaning: 'HTTP 4xx/5xx error', hint: 'the server answered with an error status: look at the stub ledger for the status and body' },
  '1d0c6539': { code: 'IPXE_HTTP_ERROR', stage: 'chain', meaning: 'HTTP 5xx server error', hint: 'the server answered with an error status: look at the stub ledger for the status and body' },
  '0f0a6039': { code: 'IPXE_CONNECTION_REFUSED', stage: 'chain', meaning: 'TCP connection reset/refused', hint: 'nothing listens at the URL\'s host:port from the guest\'s view: the server is down, or the script names a port or address that is not served (in the private network only declared hosts on port 80 and 10.0.2.2 are)' },
  '1d0c6239': { code: 'IPXE_TRANSFER_CUT', stage: 'chain', meaning: 'the connection closed before the whole body arrived (fewer bytes than Content-Length)', hint: 'the server or a proxy cut the download: check its logs and timeouts; the ledger shows how many bytes were sent' },
  '4c0a6035': { code: 'IPXE_TIMEOUT', stage: 'chain', meaning: 'TCP connection timed out', hint: 'the server did not answer (about 16 s): check the host address and that packets can reach it' },
  '280a6011': { code: 'IPXE_NET_UNREACHABLE', stage: 'network', meaning: 'network unreachable (no route / no address)', hint: 'iPXE has no usable address or route: run `dhcp` (or `ifconf`) before `chain`, and check its result' },
  '3e11613b': { code: 'IPXE_DNS_NOT_FOUND', stage: 'chain', meaning: 'DNS name not found', hint: 'the host name in the URL does not resolve from the guest: serve it from the DNS stub or use an IP address' },
  '040ee119': { code: 'IPXE_NO_DHCP', stage: 'network', meaning: 'no DHCP offer received', hint: 'no DHCP server answered (about 15 s): check the NIC/netdev and that user networking is on' },
  '2e008001': { code: 'IPXE_EXEC_FORMAT', stage: 'chain', meaning: 'downloaded file is not an executable image or script', hint: 'the URL served something that is not an iPXE script (start it with #!ipxe) or a bootable image' },
};

export interface DecodedIpxeError {
  /** Eight lower-case hex digits. */
  hex: string;
  errno: number;
  errnoName: string;
  errnoText: string;
  disambiguator: number;
  module: number;
  platform: number;
  /** Present for codes known by name. */
  known?: KnownIpxeError;
}

/** Decodes an iPXE error code ("2d0c613b", "0x2d0c613b"); returns null for anything that is not 8 hex digits. */
export function decodeIpxeError(hex: string): DecodedIpxeError | null {
  const h = hex.trim().toLowerCase().replace(/^0x/, '');
  if (!/^[0-9a-f]{8}$/.test(h)) return null;
  const n = Number.parseInt(h, 16);
  const errno = (n >>> 24) & 0x7f;
  const [errnoName, errnoText] = ERRNO[errno] ?? [`E#${errno.toString(16)}`, 'unknown error class'];
  const known = KNOWN_IPXE_ERRORS[h];
  return {
    hex: h,
    errno,
    errnoName,
    errnoText,
    disambiguator: (n >>> 16) & 0xff,
    module: (n >>> 8) & 0xff,
    platform: n & 0xff,
    ...(known ? { known } : {}),
  };
}
