using Sandlock.Confinement.Seccomp;

namespace Sandlock.Tests.Seccomp;

public class BpfEmitterTests
{
    [Fact]
    public void Far_conditional_jumps_go_through_trampolines()
    {
        var e = new BpfEmitter();
        var far = e.Return(42);
        var filler = e.Return(0);
        for (var i = 0; i < 300; i++)
            filler = e.JumpIfEqual(1000, far, filler);
        e.JumpIfEqual(7, far, filler);
        e.Load(0);

        var program = e.ToArray();
        BpfInterpreter.AssertWellFormed(program);
        Assert.Contains(program, i => i.Code == 0x05);
        Assert.Equal(42u, BpfInterpreter.Run(program, 7, 0));
        Assert.Equal(42u, BpfInterpreter.Run(program, 1000, 0));
        Assert.Equal(0u, BpfInterpreter.Run(program, 8, 0));
    }

    [Fact]
    public void Rejects_programs_over_the_kernel_limit()
    {
        var e = new BpfEmitter();
        for (var i = 0; i < 4096; i++)
            e.Return(0);
        Assert.Throws<InvalidOperationException>(() => e.Return(0));
    }
}
