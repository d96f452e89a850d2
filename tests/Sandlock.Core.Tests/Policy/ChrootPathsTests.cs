using Sandlock.Policy;

namespace Sandlock.Tests.Policy;

/// <summary>Absolute paths with "." and ".." taken out lexically, as the kernel walks them from the root.</summary>
public sealed class ChrootPathsTests
{
    [Theory]
    [InlineData("/", "/")]
    [InlineData("/usr/lib/libc.so.6", "/usr/lib/libc.so.6")]
    [InlineData("/home/u/.config/app", "/home/u/.config/app")]
    [InlineData("/a/..b/c.", "/a/..b/c.")]
    [InlineData("/usr/lib/", "/usr/lib")]
    [InlineData("//usr///lib", "/usr/lib")]
    [InlineData("/usr/./lib", "/usr/lib")]
    [InlineData("/usr/lib/.", "/usr/lib")]
    [InlineData("/usr/lib/..", "/usr")]
    [InlineData("/usr/../etc/shadow", "/etc/shadow")]
    [InlineData("/..", "/")]
    [InlineData("/../../etc", "/etc")]
    [InlineData("/.", "/")]
    public void A_path_is_normalized_lexically(string path, string normalized) => Assert.Equal(normalized, ChrootPaths.Normalize(path));
}
