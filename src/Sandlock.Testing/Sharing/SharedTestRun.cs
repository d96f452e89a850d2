using Sandlock.Testing.Protocol;

namespace Sandlock.Testing.Sharing;

/// <summary>One test of a batch for a shared child: what the child runs, with the test's seed, timeout and accepted denials.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed record SharedTestRun(SandboxedTestLaunch Launch, ChildTestRequest Request, ulong Seed, TimeSpan? Timeout, IReadOnlyList<string> AcceptedDenials);
