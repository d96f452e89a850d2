namespace Sandlock.Testing.Protocol;

/// <summary>The names of what a shared child's session folder holds, known to the parent and the child alike.</summary>
internal static class SharedChildFiles
{
    /// <summary>The unix socket the parent listens on and the child connects to.</summary>
    public const string Socket = "parent.sock";

    /// <summary>An empty file the child opens as each test starts (see <see cref="Sandlock.Supervision.JobStarts"/>).</summary>
    public const string JobStart = "job-start";

    /// <summary>The temp folder of the child's <paramref name="number"/>th test (from 1).</summary>
    public static string TestFolder(int number) => $"sandlock-test-{number}";
}
