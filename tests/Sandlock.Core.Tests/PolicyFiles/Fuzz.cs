using CsCheck;
using Sandlock.Policy;
using Xunit.Sdk;

namespace Sandlock.Tests.PolicyFiles;

/// <summary>
/// Runs generated inputs from fixed seeds (input i of a stream is the same on every machine, so a failure repeats) and
/// checks the error contract: success or a <see cref="PolicyException"/> with a one-line message, nothing else, and a
/// bounded allocation per input.
/// </summary>
internal static class Fuzz
{
    /// <summary>The 50 MB file of NULs took 8.9 GB; a bounded input must stay far below that.</summary>
    private const long MaxAllocatedBytesPerInput = 256L << 20;

    public static void Each<T>(Gen<T> gen, uint stream, int count, Action<T> check, Func<T, string> show)
    {
        for (var i = 0; i < count; i++)
        {
            var input = gen.Generate(new PCG(stream, (ulong)i), null, out _);
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                check(input);
            }
            catch (Exception e)
            {
                throw new XunitException($"input {i} of stream {stream} ({DisplayText.OneLine(show(input))}): {e}");
            }
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > MaxAllocatedBytesPerInput)
                throw new XunitException($"input {i} of stream {stream} allocated {allocated >> 20} MiB ({DisplayText.OneLine(show(input))})");
        }
    }

    /// <summary>Runs <paramref name="action"/>; a <see cref="PolicyException"/> must carry a one-line message, any other exception escapes.</summary>
    public static void RefusedInOneLineOrAccepted(Action action)
    {
        try
        {
            action();
        }
        catch (PolicyException e)
        {
            AssertOneLine(e.Message);
        }
    }

    public static void AssertOneLine(string message)
    {
        if (message.Length == 0 || message.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029'))
            throw new XunitException($"not a one-line message: {DisplayText.OneLine(message)}");
    }

    /// <summary>Fails the test when <paramref name="work"/> does not end within <paramref name="limit"/> (a hang guard, not a timing check).</summary>
    public static Task Guarded(Action work, TimeSpan limit) => Task.Run(work).WaitAsync(limit);
}
