using System.Buffers.Binary;
using System.Net;
using Sandlock.Interop;

namespace Sandlock.Supervision.Network;

/// <summary>Parses the sockaddr bytes a child passed to connect/sendto/sendmsg.</summary>
internal static class SocketAddressBytes
{
    public const int MaxLength = 128;

    public static bool TryParse(ReadOnlySpan<byte> bytes, out IPAddress address, out ushort port)
    {
        address = IPAddress.None;
        port = 0;
        if (bytes.Length < 2) return false;
        var family = BinaryPrimitives.ReadUInt16LittleEndian(bytes);
        if (family == SocketCalls.AF_INET && bytes.Length >= 8)
        {
            port = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
            address = new IPAddress(bytes.Slice(4, 4));
            return true;
        }
        if (family == SocketCalls.AF_INET6 && bytes.Length >= 24)
        {
            port = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
            address = NetworkRules.Normalize(new IPAddress(bytes.Slice(8, 16)));
            return true;
        }
        return false;
    }

    /// <summary>Sets the port of an AF_INET or AF_INET6 address (the same offset in both).</summary>
    public static void SetPort(Span<byte> bytes, ushort port) => BinaryPrimitives.WriteUInt16BigEndian(bytes[2..], port);

    public static bool IsUnspecified(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 2 && BinaryPrimitives.ReadUInt16LittleEndian(bytes) == SocketCalls.AF_UNSPEC;
}
