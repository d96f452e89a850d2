using System.Text;

namespace Sandlock.Lifecycle;

/// <summary>The outcome of one sandboxed run: exit status and, when captured, its output.</summary>
public sealed record SandboxResult(int Pid, ExitStatus Status, byte[] StandardOutput, byte[] StandardError, TimeSpan Elapsed)
{
    public int ExitCode => Status.ShellCode;
    public bool Success => Status.Success;
    public string StandardOutputText => Encoding.UTF8.GetString(StandardOutput);
    public string StandardErrorText => Encoding.UTF8.GetString(StandardError);
}
