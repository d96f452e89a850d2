namespace Sandlock.Interop;

/// <summary>The Linux errno values the sandbox reads from calls or answers held calls with (asm-generic numbering, the same on x86_64 and aarch64).</summary>
internal static class Errno
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EBADF = 9, EAGAIN = 11, ENOMEM = 12, EACCES = 13,
        ECHILD = 10, EIO = 5, EFAULT = 14, EBUSY = 16, ENOTTY = 25, EEXIST = 17, EXDEV = 18, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENOSPC = 28, EROFS = 30, ERANGE = 34, ENAMETOOLONG = 36, ENOSYS = 38, ELOOP = 40, ENOTEMPTY = 39, EMSGSIZE = 90,
        EPROTONOSUPPORT = 93, EOPNOTSUPP = 95, EAFNOSUPPORT = 97, EADDRINUSE = 98, ECONNABORTED = 103, EINPROGRESS = 115, ECANCELED = 125;
}
