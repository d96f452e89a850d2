using Microsoft.Win32.SafeHandles;
using Sandlock.Interop;

namespace Sandlock.Lifecycle.Forking;

/// <summary>Waits for every clone, then runs the reducer with their outputs on its stdin, in clone id order.</summary>
internal static class CloneReducer
{
    private const uint MfdCloexec = 1;

    public static async Task<SandboxResult> RunAsync(SandboxPolicy policy, IReadOnlyList<string> command, IReadOnlyList<SandboxClone> clones,
        TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(clones.OrderBy(c => c.CloneId).Select(c => c.WaitAsync(cancellationToken))).ConfigureAwait(false);
        // A memory file rather than a pipe fed by us: the reducer may read at its pace and nothing here has to wait.
        var input = ProcessMemory.MemfdCreate("sandlock-reduce-input", MfdCloexec);
        if (input < 0)
            throw new SandboxSetupException(SetupFailure.Sandbox, $"reduce: cannot create the reducer's input: {Libc.ErrorText(Libc.LastError)}");
        try
        {
            using (var handle = new SafeFileHandle(input, ownsHandle: false))
            {
                long offset = 0;
                // pwrite: the fd's own offset stays at 0, where the reducer starts reading.
                foreach (var result in results)
                {
                    RandomAccess.Write(handle, result.StandardOutput, offset);
                    offset += result.StandardOutput.Length;
                }
            }
            await using var reducer = new Sandbox(policy, command, StdioMode.Capture) { Timeout = timeout, Streams = new ChildStreams(Stdin: input) };
            reducer.Start();
            Libc.Close(input);
            input = -1;
            return await reducer.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Libc.CloseQuietly(input);
        }
    }
}
