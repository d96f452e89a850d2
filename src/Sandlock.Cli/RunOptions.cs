using System.Globalization;
using System.Numerics;
using System.CommandLine;

namespace Sandlock.Cli;

/// <summary>The flags of <c>sandlock run</c>, named as in the original sandlock CLI.</summary>
internal sealed class RunOptions
{
    public readonly Option<string[]> FsRead = Many("--fs-read", "-r", "PATH", "Allow reading (and executing) under PATH");
    public readonly Option<string[]> FsWrite = Many("--fs-write", "-w", "PATH", "Allow writing under PATH (implies read)");
    public readonly Option<string[]> FsDeny = Many("--fs-deny", null, "PATH", "Deny PATH even inside an allowed tree");
    public readonly Option<string[]> ExtraDenySyscall = Many("--extra-deny-syscall", null, "NAME", "Deny this syscall too");
    public readonly Option<string[]> ExtraAllowSyscall = Many("--extra-allow-syscall", null, "GROUP", "Re-allow a denied syscall group (sysv_ipc)");
    public readonly Option<string[]> NetAllow = Many("--net-allow", null, "SPEC", "Allow connecting to HOST:PORT, ADDRESS:PORT, CIDR:PORTS, :PORT or *:PORT (udp:// and icmp:// for datagrams)");
    public readonly Option<string[]> NetDeny = Many("--net-deny", null, "SPEC", "Deny connecting to ADDRESS:PORTS, CIDR:PORTS or :PORT");
    public readonly Option<string[]> NetAllowBind = Many("--net-allow-bind", null, "PORTS", "Allow TCP bind on PORTS (80,443 or 8000-8010)");
    public readonly Option<string[]> NetDenyBind = Many("--net-deny-bind", null, "PORTS", "Deny TCP bind on PORTS");
    public readonly Option<string[]> HttpAllow = Many("--http-allow", null, "RULE", "Allow HTTP requests matching 'METHOD HOST/PATH' ('*' for any method or host; a path ending in * is a prefix); others get 403");
    public readonly Option<string[]> HttpDeny = Many("--http-deny", null, "RULE", "Deny HTTP requests matching 'METHOD HOST/PATH' (wins over --http-allow)");
    public readonly Option<string[]> HttpPort = Many("--http-port", null, "PORT", "TCP port whose connections go through the HTTP proxy (default: 80 and 443)");
    public readonly Option<string?> HttpCa = One("--http-ca", null, "PATH", "CA certificate (PEM) for HTTPS interception (default: a CA made for the sandbox)");
    public readonly Option<string?> HttpKey = One("--http-key", null, "PATH", "The --http-ca certificate's private key (PEM)");
    public readonly Option<string[]> HttpAuth = Many("--http-auth", null, "HOST=ENVVAR", "Send ENVVAR's value as HOST's Authorization header; ENVVAR is kept out of the sandbox");
    public readonly Option<string?> MaxMemory = One("--max-memory", "-m", "SIZE", "Memory limit, e.g. 512M");
    public readonly Option<int?> MaxProcesses = Number("--max-processes", "-P", "N", "Process limit");
    public readonly Option<int?> MaxOpenFiles = Number("--max-open-files", null, "N", "Open file limit (RLIMIT_NOFILE)");
    public readonly Option<int?> Cpu = Number("--cpu", "-c", "PCT", "CPU share, 1-100");
    public readonly Option<int?> NumCpus = Number("--num-cpus", null, "N", "CPUs the command sees");
    public readonly Option<string?> CpuCores = One("--cpu-cores", null, "LIST", "CPU cores to run on, e.g. 0,1");
    public readonly Option<ulong?> RandomSeed = Number<ulong>("--random-seed", null, "N", "Seed for the command's randomness", "a whole number from 0 to 18446744073709551615");
    public readonly Option<string?> TimeStart = One("--time-start", null, "ISO8601", "Virtual clock start");
    public readonly Option<bool> NoRandomizeMemory = Flag("--no-randomize-memory", "Disable address space randomization");
    public readonly Option<bool> NoHugePages = Flag("--no-huge-pages", "Disable transparent huge pages");
    public readonly Option<bool> NoCoredump = Flag("--no-coredump", "Never write core dumps");
    public readonly Option<bool> DeterministicDirs = Flag("--deterministic-dirs", "List directories in sorted order");
    public readonly Option<string?> Workdir = One("--workdir", null, "DIR", "Copy-on-write working directory (not supported yet)");
    public readonly Option<string?> FsStorage = One("--fs-storage", null, "DIR", "Where copy-on-write changes are stored (not supported yet)");
    public readonly Option<string?> MaxDisk = One("--max-disk", null, "SIZE", "Disk quota for copy-on-write changes (not supported yet)");
    public readonly Option<string?> OnExit = One("--on-exit", null, "ACTION", "commit, abort or keep changes on exit (not supported yet)");
    public readonly Option<string?> OnError = One("--on-error", null, "ACTION", "commit, abort or keep changes on error (not supported yet)");
    public readonly Option<bool> DryRun = Flag("--dry-run", "Print what would be enforced and exit");
    public readonly Option<int?> ReproCheck = Number("--repro-check", null, "N", "Run N times, varying what the policy does not pin, and compare outputs");
    public readonly Option<string?> Cwd = One("--cwd", null, "DIR", "Working directory of the command");
    public readonly Option<string?> Chroot = One("--chroot", null, "DIR", "Root directory of the command");
    public readonly Option<string[]> FsMount = Many("--fs-mount", null, "VIRTUAL:HOST[:ro]", "Show HOST at VIRTUAL");
    public readonly Option<bool> CleanEnv = Flag("--clean-env", "Start from a minimal environment (PATH, HOME, USER, TERM, LANG...)");
    public readonly Option<string[]> Env = Many("--env", null, "KEY=VALUE", "Set an environment variable");
    public readonly Option<bool> PortRemap = Flag("--port-remap", "Give the sandbox its own port space: a port in use elsewhere is bound as a free one, and reported");
    public readonly Option<int?> Uid = Number("--uid", null, "N", "User id inside the sandbox");
    public readonly Option<string?> Name = One("--name", null, "NAME", "Sandbox name");
    public readonly Option<double?> Timeout = Number<double>("--timeout", "-t", "SECS", "Kill the command after SECS seconds (exit 124)", "a number of seconds such as 30 or 0.5");
    public readonly Option<string?> Profile = One("--profile", "-p", "NAME", "Start from ~/.config/sandlock/profiles/NAME.toml");
    public readonly Option<string?> ProfileFile = One("--profile-file", null, "PATH", "Start from this policy file");
    public readonly Option<bool> Interactive = Flag("--interactive", "Share the terminal with the command", "-i");
    public readonly Option<bool> NoSupervisor = Flag("--no-supervisor", "Run without the seccomp user-notification supervisor");
    public readonly Option<string[]> AllowDegraded = Many("--allow-degraded", null, "PROTECTION", $"Run even if the kernel lacks PROTECTION: {string.Join(", ", ProtectionNames.All)}, or landlock for all of Landlock");
    public readonly Option<string[]> Disable = Many("--disable", null, "PROTECTION", "Do not enforce PROTECTION (the names of --allow-degraded)");
    public readonly Argument<string[]> Command = new("command") { Arity = ArgumentArity.ZeroOrMore, Description = "The command and its arguments (after --)" };

    public void AddTo(Command command)
    {
        foreach (var field in GetType().GetFields())
        {
            switch (field.GetValue(this))
            {
                case Option option: command.Options.Add(option); break;
                case Argument argument: command.Arguments.Add(argument); break;
            }
        }
    }

    private static Option<string[]> Many(string name, string? alias, string helpName, string description) =>
        new(name, Aliases(alias)) { HelpName = helpName, Description = description, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };

    private static Option<string?> One(string name, string? alias, string helpName, string description) =>
        new(name, Aliases(alias)) { HelpName = helpName, Description = description };

    private static Option<int?> Number(string name, string? alias, string helpName, string description) =>
        Number<int>(name, alias, helpName, description, "a whole number");

    // The default message names the CLR type (System.Nullable`1[System.Int32]); say what is expected instead.
    private static Option<T?> Number<T>(string name, string? alias, string helpName, string description, string expected)
        where T : struct, INumber<T> =>
        new(name, Aliases(alias))
        {
            HelpName = helpName,
            Description = description,
            CustomParser = result =>
            {
                var token = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                var style = typeof(T) == typeof(double) ? NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint : NumberStyles.AllowLeadingSign;
                if (T.TryParse(token, style, CultureInfo.InvariantCulture, out var n))
                    return n;
                result.AddError($"{name}: invalid number '{token}': expected {expected}");
                return null;
            },
        };

    private static Option<bool> Flag(string name, string description, string? alias = null) =>
        new(name, Aliases(alias)) { Description = description };

    private static string[] Aliases(string? alias) => alias is null ? [] : [alias];
}
