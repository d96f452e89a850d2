using System.Runtime.InteropServices;

namespace Sandlock.Cli;

/// <summary>
/// Passes terminal signals sent to sandlock on to the sandbox's process group (the command runs in a group of its own,
/// so they reach only sandlock). Registered before the command starts: a signal that comes while it is being started is
/// passed on as soon as it runs; without a handler then, it would end sandlock at once and the command with it.
/// </summary>
internal sealed class SignalForwarding : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Sandbox _sandbox;
    private readonly PosixSignalRegistration[] _registrations;
    private bool _started;
    private int _pending;

    public SignalForwarding(Sandbox sandbox, params PosixSignal[] signals)
    {
        _sandbox = sandbox;
        _registrations = [.. signals.Select(signal => PosixSignalRegistration.Create(signal, Forward))];
    }

    /// <summary>The command runs: a signal that came meanwhile goes to it now.</summary>
    public void Started()
    {
        int pending;
        lock (_gate)
        {
            _started = true;
            pending = _pending;
        }
        if (pending != 0) _sandbox.Signal(pending);
    }

    private void Forward(PosixSignalContext context)
    {
        context.Cancel = true;
        var number = context.Signal switch
        {
            PosixSignal.SIGINT => 2,
            PosixSignal.SIGQUIT => 3,
            PosixSignal.SIGHUP => 1,
            _ => 15,
        };
        lock (_gate)
        {
            if (!_started)
            {
                _pending = number;
                return;
            }
        }
        _sandbox.Signal(number);
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
    }
}
