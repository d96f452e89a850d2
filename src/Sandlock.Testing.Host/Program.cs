using System.Reflection;

// Late-bound so that this assembly needs no deps.json of its own: the test's deps.json supplies Sandlock.Testing.
// The same file also launches a whole confined VSTest testhost (SandlockTestHost=true), marked by its first argument.
var entryName = args is ["--sandlock-vstest-host", ..] ? "Sandlock.Testing.WholeHost.VsTestHostLauncher" : "Sandlock.Testing.Child.ChildProcessEntry";
var entry = Type.GetType($"{entryName}, Sandlock.Testing", throwOnError: true)!;
var run = entry.GetMethod("RunAsync", BindingFlags.Public | BindingFlags.Static)!;
// Waited for, not awaited: the host does nothing else, and an async Main costs every child the JIT of its state machine.
var code = ((Task<int>)run.Invoke(null, [args])!).GetAwaiter().GetResult();
// Exit even if the test left foreground threads running: the result is already written.
Environment.Exit(code);
