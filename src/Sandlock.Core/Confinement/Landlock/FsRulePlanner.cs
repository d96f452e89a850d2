using Sandlock.Policy;

namespace Sandlock.Confinement.Landlock;

/// <summary>
/// One Landlock path-beneath rule: <see cref="Access"/> on <see cref="Path"/> and everything under it.
/// <see cref="MayVanish"/> marks entries found while carving, which may be gone by the time the ruleset is built.
/// <see cref="Root"/>: under a chroot, the host directory <see cref="Path"/> lies in; the path is opened resolving
/// inside it, so a symlink swapped in after planning cannot lead the rule out of the chroot.
/// </summary>
internal sealed record FsRule(string Path, FsAccess Access, bool MayVanish = false, string? Root = null);

/// <summary>
/// Turns a policy's read, write and deny paths into Landlock rules. Landlock can only allow, so a denied path
/// inside an allowed tree is carved out: instead of one rule on the tree, every sibling along the way down to the
/// denied path gets its own rule, and the ancestors of the denied path get none. The price: those ancestors can be
/// traversed but not listed, and nothing new can be created directly in them.
/// </summary>
internal static class FsRulePlanner
{
    private const FsAccess DeviceAccess = FsAccess.ReadFile | FsAccess.WriteFile | FsAccess.IoctlDev;

    // withoutProc: /proc is served by the supervisor's view, so the child itself may open nothing there.
    public static IReadOnlyList<FsRule> Plan(SandboxPolicy policy, bool withoutProc = false)
    {
        var rules = new List<FsRule>();
        if (!policy.ConfinesFilesystem) return rules;

        // Under a chroot or a mount the policy names paths the child sees; the rules need the host files behind them.
        // Loops rather than LINQ chains: every sandboxed start plans, and a NativeAOT binary resolves each chained
        // Select (a generic virtual method) the slow way on its first call.
        var view = ChildRoot.Canonical(policy);
        var root = view.Chroot;
        var deniedList = new List<string>();
        foreach (var path in policy.FsDenied) AddOnce(deniedList, Normalize(view.HostPathOf(path)));
        if (withoutProc) AddOnce(deniedList, "/proc");
        var denied = deniedList.ToArray();
        // Symlinks only matter when a deny must be matched against a tree: skip resolving them otherwise.
        string HostTree(string path) => denied.Length == 0 ? view.HostPathOf(path) : Normalize(view.HostPathOf(path));
        // Without read paths reads stay open (minus denied paths); without any allowed path writes do too. A mount
        // grants its folder by itself, as a bind mount would: read, and write unless it is read-only.
        var readTrees = new List<string>();
        var writeTrees = new List<string>();
        if (policy.FsReadable.IsEmpty) AddOnce(readTrees, HostTree("/"));
        foreach (var path in policy.FsReadable) AddOnce(readTrees, HostTree(path));
        if (!policy.FsReadable.IsEmpty)
            foreach (var path in policy.FsWritable) AddOnce(readTrees, HostTree(path));
        if (policy.FsReadable.IsEmpty && policy.FsWritable.IsEmpty) AddOnce(writeTrees, HostTree("/"));
        foreach (var path in policy.FsWritable) AddOnce(writeTrees, HostTree(path));
        foreach (var mount in policy.FsMounts)
        {
            AddOnce(readTrees, HostTree(mount.VirtualPath));
            if (!mount.ReadOnly) AddOnce(writeTrees, HostTree(mount.VirtualPath));
        }

        // A workdir is read here and written only through the supervisor, into its copy-on-write layer; the layers
        // of every run (fs_storage) are written by no child directly.
        var readOnly = denied;
        if (policy.Workdir is { } workdir)
        {
            AddOnce(readTrees, HostTree(workdir));
            readOnly = [.. denied, workdir, .. WorkspaceStorage(policy)];
        }
        foreach (var tree in readTrees) AddCarved(rules, tree, FsAccess.Read, denied);
        foreach (var tree in writeTrees) AddCarved(rules, tree, FsAccess.Write, readOnly);
        // Files made in the sandbox are executed from there (the kernel checks the upper file itself).
        if (policy.WorkspaceUpper is { } upper) rules.Add(Rule(upper, FsAccess.Read));
        foreach (var standardDevice in StandardDevices.Paths)
        {
            var device = view.HostPathOf(standardDevice);
            if (File.Exists(device) && !Array.Exists(denied, d => PathTree.IsSameOrUnder(device, d)))
                rules.Add(new FsRule(device, DeviceAccess, MayVanish: true));
        }
        // A rule is opened resolving inside the folder it lies in: a mount's host folder, or the chroot.
        string? RootOf(string path) => policy.FsMounts.FirstOrDefault(m => PathTree.IsSameOrUnder(path, m.HostPath))?.HostPath ?? root;
        return root is null && policy.FsMounts.IsEmpty ? rules : [.. rules.Select(r => r with { Root = RootOf(r.Path) })];
    }

    /// <summary>
    /// The folders a read rule was taken from by carving (the granted tree and the ancestors of a denied path below
    /// it), which the child could then not list although the user granted it; the supervisor lists them for it.
    /// Host paths; empty when nothing is carved, under a chroot or with mounts.
    /// </summary>
    public static IReadOnlyList<string> CarvedReadFolders(SandboxPolicy policy, bool withoutProc = false)
    {
        if (!policy.ConfinesFilesystem || policy.Chroot is not null || !policy.FsMounts.IsEmpty) return [];
        var denied = policy.FsDenied.Select(Normalize).Concat(withoutProc ? ["/proc"] : []).Distinct().ToArray();
        if (denied.Length == 0) return [];
        IEnumerable<string> readTrees = policy.FsReadable.IsEmpty ? ["/"] : policy.FsReadable.Concat(policy.FsWritable);
        var carved = new List<string>();
        foreach (var tree in readTrees.Select(Normalize).Distinct()) AddCarved([], tree, FsAccess.Read, denied, carved);
        return [.. carved.Distinct()];
    }

    private static void AddCarved(List<FsRule> rules, string tree, FsAccess access, string[] denied, List<string>? carved = null)
    {
        if (denied.Any(d => PathTree.IsSameOrUnder(tree, d))) return;
        var inside = denied.Where(d => PathTree.IsSameOrUnder(d, tree)).ToArray();
        if (inside.Length == 0)
        {
            rules.Add(Rule(tree, access));
            return;
        }
        carved?.Add(tree);
        if (FolderEntries.Of(tree) is not { } entries) return;
        foreach (var (entry, isLink, isDirectory) in entries)
        {
            // A symlink is checked at its target, which has rules of its own; a rule here would follow it.
            if (isLink) continue;
            if (inside.Any(d => d == entry)) continue;
            if (inside.Any(d => PathTree.IsSameOrUnder(d, entry))) AddCarved(rules, entry, access, inside, carved);
            else rules.Add(new FsRule(entry, isDirectory ? access : access & FsAccess.FileOnly, MayVanish: true));
        }
    }

    private static void AddOnce(List<string> paths, string path)
    {
        if (!paths.Contains(path)) paths.Add(path);
    }

    /// <summary>The folder that holds every run's copy-on-write layer: the policy's fs_storage, or the default one.</summary>
    private static IEnumerable<string> WorkspaceStorage(SandboxPolicy policy)
    {
        if (policy.FsStorage is { } storage) yield return Normalize(storage);
        if (policy.WorkspaceUpper is { } upper && Path.GetDirectoryName(Path.GetDirectoryName(upper)) is { } runs) yield return runs;
    }

    private static FsRule Rule(string path, FsAccess access) =>
        new(path, Directory.Exists(path) ? access : access & FsAccess.FileOnly);

    // Symlinked spellings (/lib -> /usr/lib) must compare equal, or a deny could miss the tree it lies in.
    private static string Normalize(string path) =>
        Interop.LibcPaths.RealPath(path) ?? Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

}
