using Sandlock.Tests.TestSupport;
using Xunit.Abstractions;

namespace Sandlock.Tests.Forking;

/// <summary>Clones share the template's pages copy-on-write: what they cost together is measured in PSS.</summary>
public sealed class ForkMemoryTests(ForkTests.Templates templates, ITestOutputHelper output) : IClassFixture<ForkTests.Templates>
{
    /// <summary>The proportional set size of a process in kB: shared pages count once, split among their sharers.</summary>
    private static long PssKb(int pid) =>
        File.ReadLines($"/proc/{pid}/smaps_rollup").Where(l => l.StartsWith("Pss:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])).Single();

    [Fact]
    public async Task A_hundred_clones_of_a_50_MB_template_cost_less_than_the_template_again()
    {
        var policy = Sandboxed.SystemOnly().FsRead(templates.Folder).Build();
        await using var template = new Sandbox(policy, [templates.C, "memory", "50"]) { ForkTemplate = true, Timeout = TimeSpan.FromSeconds(120) };
        template.Start();
        // No clone yet: this returns once the template says READY, after it has touched its 50 MB.
        Assert.Empty(await template.ForkAsync(0));
        var templateAlone = PssKb(template.Pid!.Value);
        Assert.True(templateAlone > 50 * 1024, $"the template holds only {templateAlone} kB");

        var clones = await template.ForkAsync(100);
        try
        {
            // Each clone stops itself once it has read all 50 MB.
            foreach (var clone in clones)
                while (Procfs.State(clone.Pid) != "T") await Task.Delay(5);
            var total = PssKb(template.Pid!.Value) + clones.Sum(c => PssKb(c.Pid));
            output.WriteLine($"template alone {templateAlone} kB; template and 100 clones {total} kB ({(double)total / templateAlone:F2}x)");
            Assert.True(total < 2 * templateAlone, $"template and 100 clones hold {total} kB, the template alone {templateAlone} kB");
        }
        finally
        {
            foreach (var clone in clones) await clone.DisposeAsync();
        }
        var sums = await Task.WhenAll(clones.Select(c => c.WaitAsync()));
        Assert.All(sums, r => Assert.StartsWith($"clone ", r.StandardOutputText));
        Assert.Single(sums.Select(r => r.StandardOutputText.Split(' ')[^1]).Distinct());
    }
}
