using System.Runtime.InteropServices;

namespace Sandlock.Interop;

/// <summary>
/// The seccomp user-notification ioctls. Structs are declared here as the kernel defines them (UAPI, stable).
/// </summary>
internal static unsafe partial class SeccompNotify
{
    // _IOWR('!', 0, struct seccomp_notif) etc.; sizes 80, 24, 8, 24.
    private const ulong IoctlRecv = 0xC0502100, IoctlSend = 0xC0182101, IoctlIdValid = 0x40082102, IoctlAddFd = 0x40182103, IoctlSetFlags = 0x40082104;
    public const uint FlagContinue = 1;
    private const ulong UserNotifFdSyncWakeUp = 1;
    public const uint AddFdFlagSend = 1 << 1;
    private const uint AddFdFlagSetFd = 1 << 0;

    [StructLayout(LayoutKind.Sequential)]
    public struct Notification
    {
        public ulong Id;
        public uint Pid;
        public uint Flags;
        public int Nr;
        public uint Arch;
        public ulong InstructionPointer;
        public fixed ulong Args[6];

        public readonly ulong[] Arguments()
        {
            var copy = new ulong[6];
            for (var i = 0; i < 6; i++) copy[i] = Args[i];
            return copy;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Response
    {
        public ulong Id;
        public long Value;
        public int Error;
        public uint Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct AddFd
    {
        public ulong Id;
        public uint Flags;
        public uint SourceFd;
        public uint NewFd;
        public uint NewFdFlags;
    }

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, ulong request, void* argument);

    /// <summary>Receives one notification; false when it vanished (the caller died) or nothing is pending.</summary>
    public static bool Receive(int listener, out Notification notification)
    {
        notification = default;
        fixed (Notification* n = &notification)
            return Ioctl(listener, IoctlRecv, n) == 0;
    }

    /// <summary>Answers a notification; false when its caller is gone (ENOENT), which needs no answer.</summary>
    public static bool Send(int listener, in Response response)
    {
        fixed (Response* r = &response)
            return Ioctl(listener, IoctlSend, r) == 0;
    }

    /// <summary>True while the notification's caller is still waiting: re-checked after reading its memory.</summary>
    public static bool IsValid(int listener, ulong id) => Ioctl(listener, IoctlIdValid, &id) == 0;

    /// <summary>Installs <paramref name="fd"/> in the caller and returns it as the syscall's result, atomically.</summary>
    public static int SendFd(int listener, ulong id, int fd, bool closeOnExec)
    {
        var add = new AddFd { Id = id, Flags = AddFdFlagSend, SourceFd = (uint)fd, NewFdFlags = closeOnExec ? (uint)Libc.O_CLOEXEC : 0 };
        return Ioctl(listener, IoctlAddFd, &add);
    }

    /// <summary>Installs <paramref name="fd"/> in the caller, which still waits; returns its number there, or -1.</summary>
    public static int InstallFd(int listener, ulong id, int fd, bool closeOnExec)
    {
        var add = new AddFd { Id = id, Flags = 0, SourceFd = (uint)fd, NewFdFlags = closeOnExec ? (uint)Libc.O_CLOEXEC : 0 };
        return Ioctl(listener, IoctlAddFd, &add);
    }

    /// <summary>
    /// Puts <paramref name="fd"/> in the caller's process at the number <paramref name="target"/>, closing what was
    /// there (as dup2 would), while the caller still waits; returns <paramref name="target"/>, or -1.
    /// </summary>
    public static int ReplaceFd(int listener, ulong id, int fd, int target, bool closeOnExec)
    {
        var add = new AddFd { Id = id, Flags = AddFdFlagSetFd, SourceFd = (uint)fd, NewFd = (uint)target, NewFdFlags = closeOnExec ? (uint)Libc.O_CLOEXEC : 0 };
        return Ioctl(listener, IoctlAddFd, &add);
    }

    /// <summary>Wakes the supervisor on the caller's CPU (Linux 6.6+), which cuts a round trip roughly tenfold on idle VMs.</summary>
    public static bool SetSyncWakeUp(int listener) =>
        // This ioctl takes the flags as its argument itself, not a pointer to them.
        Ioctl(listener, IoctlSetFlags, (void*)UserNotifFdSyncWakeUp) == 0;
}
