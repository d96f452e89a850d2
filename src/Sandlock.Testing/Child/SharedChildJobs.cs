using System.Globalization;
using Sandlock.Testing.Protocol;

namespace Sandlock.Testing.Child;

/// <summary>
/// The host's side of a shared child's batch: as each test starts, it sets the test's environment and opens the
/// session's job-start file (the supervisor then removes the last test's folder, makes this one's and restarts the
/// seeded streams and clock); as each ends, its report goes to the parent, in the batch's order. A job that cannot
/// start stops the child: the parent runs the tests left in another one.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class SharedChildJobs(IReadOnlyList<SharedChildTest> tests, Stream parent, string jobStartPath) : IChildTestJobs
{
    private readonly Lock _gate = new();
    private int _started;
    private int _finished;

    /// <summary>A test's job could not start: the host reports it and ends, leaving the rest to another child.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Whether any test's job has started (or failed to): the batch can no longer be run from its start.</summary>
    public bool AnyStarted
    {
        get { lock (_gate) return _started > 0 || Stopped; }
    }

    /// <summary>
    /// The variables Path.GetTempPath and SandboxedTestEnvironment read at each call, for test <paramref name="index"/>
    /// (its folder is made as it starts): set before it runs, so that what the framework sets up for it sees them too.
    /// </summary>
    public void SetEnvironment(int index)
    {
        var test = tests[index];
        Environment.SetEnvironmentVariable("TMPDIR", test.TempDirectory);
        Environment.SetEnvironmentVariable(SandboxedTestEnvironment.TempDirVariable, test.TempDirectory);
        Environment.SetEnvironmentVariable(SandboxedTestEnvironment.SeedVariable, test.Seed.ToString(CultureInfo.InvariantCulture));
    }

    public bool Starting(int index)
    {
        lock (_gate)
        {
            // Each start takes the next job the parent queued: a test started out of the batch's order would take another's.
            if (Stopped || index != _started) return false;
            SetEnvironment(index);
            try
            {
                File.OpenHandle(jobStartPath).Dispose();
                ProcessRandomness.Restart(tests[index].Seed);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Stopped = true;
                Write(new ChildRunReport([], $"the sandbox could not start the test (its temp folder, seed and clock): {e.Message}"));
                _finished = index + 1;
                return false;
            }
            _started++;
            return true;
        }
    }

    public void Finished(int index, ChildRunReport report)
    {
        lock (_gate)
        {
            if (Stopped || index != _finished) return;
            // A runner that reached no test (a host error) still starts its job, so that the next test gets the next one.
            if (_started == index && !Starting(index)) return;
            Write(report.Tests.Count == 0 && report.HostError is null
                ? report with { HostError = $"the framework ran no test named {tests[index].Request.TestId}" }
                : report);
            _finished++;
        }
    }

    /// <summary>Reports every test of the batch the run did not report, with <paramref name="why"/>, in order.</summary>
    public void FinishRest(string why)
    {
        lock (_gate)
        {
            while (!Stopped && _finished < tests.Count) Finished(_finished, new ChildRunReport([], why));
        }
    }

    private void Write(ChildRunReport report) =>
        parent.Write(ProtocolCodec.Frame(new SharedChildMessage(SharedChildMessage.Done) { Report = report }));
}
