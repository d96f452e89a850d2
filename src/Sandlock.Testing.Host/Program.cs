using System.Reflection;

// Late-bound so that this assembly needs no deps.json of its own: the test's deps.json supplies Sandlock.Testing.
var entry = Type.GetType("Sandlock.Testing.Child.ChildProcessEntry, Sandlock.Testing", throwOnError: true)!;
var run = entry.GetMethod("RunAsync", BindingFlags.Public | BindingFlags.Static)!;
var code = await (Task<int>)run.Invoke(null, [args])!;
// Exit even if the test left foreground threads running: the result is already written.
Environment.Exit(code);
