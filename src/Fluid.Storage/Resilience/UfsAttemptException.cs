namespace Fluid.Storage.Resilience;

/// <summary>
/// Thrown inside one attempt of a call to say how it failed; the <see cref="UfsCallRunner"/> retries
/// it when <see cref="Transient"/> and otherwise turns it into a <see cref="UfsException"/>.
/// </summary>
internal sealed class UfsAttemptException : Exception
{
    public UfsAttemptException(UfsErrorKind kind, string detail, bool transient, Exception? inner = null)
        : base(detail, inner)
    {
        Kind = kind;
        Transient = transient;
    }

    public UfsErrorKind Kind { get; }

    public bool Transient { get; }
}
