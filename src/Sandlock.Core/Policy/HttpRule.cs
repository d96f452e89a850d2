namespace Sandlock;

/// <summary>An HTTP access rule <c>METHOD HOST[/PATH]</c>, e.g. <c>GET api.example.com/v1/*</c>; <c>*</c> matches any.</summary>
public sealed record HttpRule(string Method, string Host, string Path)
{
    public static HttpRule Parse(string rule, string source)
    {
        var parts = rule.Trim().Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || parts[0].Any(c => !char.IsAsciiLetterUpper(c) && c != '*'))
            throw new PolicyException(source, $"invalid HTTP rule '{rule}': expected 'METHOD HOST[/PATH]', e.g. 'GET example.com/api/*'");
        var slash = parts[1].IndexOf('/');
        var host = slash < 0 ? parts[1] : parts[1][..slash];
        var path = slash < 0 ? "/*" : parts[1][slash..];
        if (host.Length == 0)
            throw new PolicyException(source, $"invalid HTTP rule '{rule}': the host is empty");
        return new HttpRule(parts[0], host, path);
    }

    public override string ToString() => $"{Method} {Host}{Path}";
}
