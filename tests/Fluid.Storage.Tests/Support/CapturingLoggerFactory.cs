using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Fluid.Storage.Tests.Support;

/// <summary>Collects every formatted log message (and exception text) so tests can check what would be logged.</summary>
public sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<string> _messages = new();

    public IReadOnlyCollection<string> Messages => _messages;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            owner._messages.Enqueue($"{logLevel} {category} [{eventId.Id}] {formatter(state, exception)} {exception}");
        }
    }
}
