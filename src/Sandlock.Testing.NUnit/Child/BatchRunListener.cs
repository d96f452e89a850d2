using NUnit.Framework.Interfaces;
using Sandlock.Testing.Child;
using Sandlock.Testing.Protocol;

namespace Sandlock.Testing.NUnit.Child;

/// <summary>
/// One NUnit run of a shared child's batch: each test's start (announced on its own thread by the test command) takes
/// its job in the batch's order, and each test's result goes to the host in that order, whenever NUnit reports it (its
/// event thread may do so after the next test started). A test the run went past is reported as not run.
/// </summary>
internal sealed class BatchRunListener(IReadOnlyList<string> testIds, IChildTestJobs jobs) : ITestListener
{
    private readonly Dictionary<string, int> _index = IndexOf(testIds);
    private readonly Dictionary<int, ChildRunReport> _ended = [];
    private readonly Lock _gate = new();
    private int _nextStart;
    private int _nextReport;
    private bool _runningStarted;

    // A loop, not LINQ over (id, index) pairs: generic code over a value tuple has no ReadyToRun code, and every child
    // compiled it.
    private static Dictionary<string, int> IndexOf(IReadOnlyList<string> testIds)
    {
        var index = new Dictionary<string, int>(testIds.Count, StringComparer.Ordinal);
        for (var i = 0; i < testIds.Count; i++) index.Add(testIds[i], i);
        return index;
    }

    /// <summary>On the test's thread, before its setup: false when it must not run (the command then runs nothing).</summary>
    public bool Starting(string testId)
    {
        lock (_gate)
        {
            if (!_index.TryGetValue(testId, out var index)) return false;
            // The test that just started, again, before it ended: NUnit's [Repeat] or [Retry] runs it once more in its job.
            if (index == _nextStart - 1 && _runningStarted && !_ended.ContainsKey(index) && index >= _nextReport) return true;
            // One already passed: the order makes it not happen.
            if (index < _nextStart) return false;
            PassTo(index);
            return _runningStarted = jobs.Starting(index);
        }
    }

    public void TestFinished(ITestResult result)
    {
        if (result.Test.IsSuite) return;
        lock (_gate)
        {
            if (!_index.TryGetValue(result.Test.FullName, out var index) || index < _nextReport || _ended.ContainsKey(index)) return;
            // Reported without having started: its fixture's one-time setup failed or ignored it; the result says why.
            if (index >= _nextStart)
            {
                PassTo(index);
                _runningStarted = false;
            }
            End(index, new ChildRunReport([ChildResultListener.Convert(result)], null));
        }
    }

    /// <summary>After the run: whatever it did not reach reports <paramref name="why"/>.</summary>
    public void EndRest(string why)
    {
        lock (_gate)
        {
            for (var i = _nextReport; i < testIds.Count; i++) _ended.TryAdd(i, new ChildRunReport([], why));
            Flush();
        }
    }

    /// <summary>Test <paramref name="index"/> is the next to start: those before it that did not are reported as not run.</summary>
    private void PassTo(int index)
    {
        for (; _nextStart < index; _nextStart++) End(_nextStart, new ChildRunReport([], "NUnit did not run it in the batch's order"));
        _nextStart = index + 1;
    }

    private void End(int index, ChildRunReport report)
    {
        _ended[index] = report;
        Flush();
    }

    private void Flush()
    {
        while (_ended.Remove(_nextReport, out var report)) jobs.Finished(_nextReport++, report);
    }

    public void TestStarted(ITest test) { }

    public void TestOutput(TestOutput output) { }

    public void SendMessage(TestMessage message) { }
}
