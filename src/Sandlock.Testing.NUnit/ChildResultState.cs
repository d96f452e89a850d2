using NUnit.Framework.Interfaces;

namespace Sandlock.Testing.NUnit;

/// <summary>Carries NUnit's ResultState (status, label, failure site) through the child protocol as "Status|Label|Site".</summary>
internal static class ChildResultState
{
    public static string Format(ResultState state) => $"{state.Status}|{state.Label}|{state.Site}";

    public static ResultState? Parse(string? text) =>
        text?.Split('|') is [var status, var label, var site]
        && Enum.TryParse<TestStatus>(status, out var s) && Enum.TryParse<FailureSite>(site, out var f)
            ? new ResultState(s, label, f)
            : null;
}
