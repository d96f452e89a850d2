using System.Collections.Immutable;
using Sandlock.Confinement;

namespace Sandlock.Tests.Confinement;

public sealed class PortSetTests
{
    [Fact]
    public void Ports_come_out_sorted_once_each_without_the_removed_ones()
    {
        var ports = new PortSet();
        ports.Add([8080, 443, 80, 443, 65535, 0]);
        ports.Add([22, 8080]);
        ports.Remove([80, 9999]);

        Assert.Equal(new ushort[] { 0, 22, 443, 8080, 65535 }, ports.ToSortedArray());
    }

    [Fact]
    public void A_port_removed_before_it_is_added_is_in_the_set()
    {
        var ports = new PortSet();
        ports.Remove([443]);
        ports.Add(ImmutableArray.Create<ushort>(443));

        Assert.Equal(new ushort[] { 443 }, ports.ToSortedArray());
        Assert.Empty(new PortSet().ToSortedArray());
    }
}
