namespace Sandlock.Testing.Protocol;

/// <summary>One exception of a failure; <paramref name="ParentIndex"/> links inner exceptions as xunit does (-1: top level).</summary>
public sealed record TestFailureDetail(string ExceptionType, string Message, string? StackTrace, int ParentIndex = -1);
