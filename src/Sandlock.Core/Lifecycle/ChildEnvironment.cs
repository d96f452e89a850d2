using System.Collections;
using Sandlock.Policy;

namespace Sandlock.Lifecycle;

/// <summary>The environment a sandboxed command starts with.</summary>
internal static class ChildEnvironment
{
    /// <summary>What <c>clean_env</c> keeps: enough for programs to find themselves and talk to a terminal.</summary>
    private static readonly string[] KeptWhenClean = ["PATH", "HOME", "USER", "LOGNAME", "TERM", "LANG", "LC_ALL", "TZ"];

    /// <summary>The variables, sorted; a reproducibility check passes <paramref name="shuffle"/> to vary their order.</summary>
    public static List<string> Build(SandboxPolicy policy, Random? shuffle = null)
    {
        // A plain dictionary sorted once at the end: a SortedDictionary's code (~37 methods) is JIT-compiled in each
        // process at its first start, as ReadyToRun images hold no code for it over these types.
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            var key = (string)entry.Key;
            if (policy.CleanEnv && !KeptWhenClean.Contains(key)) continue;
            env[key] = (string?)entry.Value ?? "";
        }
        if (policy.CleanEnv && !env.ContainsKey("PATH")) env["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        foreach (var (key, value) in Supervision.Limits.ProcessLimits.EnvironmentHints(policy)) env[key] = value;
        foreach (var (key, value) in Supervision.Http.TrustBundle.Environment(policy)) env[key] = value;
        foreach (var hidden in Supervision.Http.HttpInterception.HiddenVariables(policy)) env.Remove(hidden);
        foreach (var (key, value) in policy.Env) env[key] = value;
        var names = env.Keys.ToArray();
        Array.Sort(names, StringComparer.Ordinal);
        var list = new List<string>(names.Length);
        foreach (var name in names) list.Add($"{name}={env[name]}");
        if (shuffle is not null) list = [.. list.OrderBy(_ => shuffle.Next())];
        return list;
    }
}
