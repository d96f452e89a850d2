using Microsoft.Build.Framework;

namespace Sandlock.Testing.Tasks;

/// <summary>
/// Sets environment variables of the MSBuild process for the test run that follows in the same project's build:
/// VSTest's task starts vstest.console with this process's environment and takes no variables of its own, and
/// vstest.console hands them on to the test host. Each item is a variable (the item spec) with its <c>Value</c>; an
/// empty value removes the variable. MSBuild puts a node's environment back when its build ends; the
/// <see cref="Replaced"/> items let a later target do so as soon as the run is over.
/// </summary>
public sealed class SetTestRunEnvironment : Microsoft.Build.Utilities.Task
{
    [Required]
    public ITaskItem[] Variables { get; set; } = [];

    /// <summary>Leaves a variable alone when the environment already has it: the user's own setting wins.</summary>
    public bool KeepExisting { get; set; }

    /// <summary>The variables this call changed, each with the value it had before (empty: it was not set).</summary>
    [Output]
    public ITaskItem[] Replaced { get; private set; } = [];

    public override bool Execute()
    {
        var replaced = new List<ITaskItem>();
        foreach (var variable in Variables)
        {
            var name = variable.ItemSpec;
            if (name.Length == 0 || name.Contains('=', StringComparison.Ordinal))
            {
                Log.LogError("SetTestRunEnvironment: '{0}' is not an environment variable's name", name);
                return false;
            }
            var before = Environment.GetEnvironmentVariable(name);
            if (KeepExisting && before is not null) continue;
            var value = variable.GetMetadata("Value");
            Environment.SetEnvironmentVariable(name, value.Length == 0 ? null : value);
            var previous = new Microsoft.Build.Utilities.TaskItem(name);
            previous.SetMetadata("Value", before ?? "");
            replaced.Add(previous);
            Log.LogMessage(MessageImportance.Low, value.Length == 0 ? "{0} removed" : "{0}={1}", name, value);
        }
        Replaced = [.. replaced];
        return true;
    }
}
