using Microsoft.Testing.Platform.CommandLine;
using Microsoft.Testing.Platform.Extensions;
using Microsoft.Testing.Platform.Extensions.CommandLine;

namespace Sandlock.Testing.Platform;

/// <summary><c>--sandlock [POLICYFILE]</c>: confine the test host, under the default policy plus the file if given.</summary>
internal sealed class SandlockCommandLineOptions(IExtension extension) : ICommandLineOptionsProvider
{
    public const string OptionName = "sandlock";

    public string Uid => extension.Uid;
    public string Version => extension.Version;
    public string DisplayName => extension.DisplayName;
    public string Description => extension.Description;
    public Task<bool> IsEnabledAsync() => Task.FromResult(true);

    public IReadOnlyCollection<CommandLineOption> GetCommandLineOptions() =>
    [
        new(OptionName, "Run the test host confined by Sandlock: read the system and the app, write only a temp dir and the results directory, no network; then POLICYFILE (sandlock.toml) if given.",
            ArgumentArity.ZeroOrOne, isHidden: false),
    ];

    // The confined host gets the controller's command line, which the controller has checked: from the host's own
    // working directory and sandbox the file may be out of sight (a relative path, a folder it may not read).
    public Task<ValidationResult> ValidateOptionArgumentsAsync(CommandLineOption commandOption, string[] arguments) =>
        Task.FromResult(arguments is [var file] && !SandboxedTestEnvironment.IsConfinedHost && !File.Exists(file)
            ? ValidationResult.Invalid($"--sandlock: policy file not found: {file}")
            : ValidationResult.Valid());

    public Task<ValidationResult> ValidateCommandLineOptionsAsync(ICommandLineOptions commandLineOptions) => ValidationResult.ValidTask;
}
