using Microsoft.Extensions.Logging;

namespace Fluid.Engine.Hosting;

/// <summary>Writes log lines ("warning: message") to a text writer such as standard error; for the CLI.</summary>
public sealed class TextLoggerFactory(TextWriter writer, LogLevel minimum) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new TextLogger(writer, minimum);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class TextLogger(TextWriter writer, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var level = logLevel switch
            {
                LogLevel.Critical or LogLevel.Error => "error",
                LogLevel.Warning => "warning",
                LogLevel.Information => "info",
                _ => "debug",
            };
            var text = $"{DateTime.Now:HH:mm:ss} {level}: {formatter(state, exception)}{(exception is null ? string.Empty : $" ({exception.Message})")}";
            lock (writer)
            {
                writer.WriteLine(text);
                writer.Flush();
            }
        }
    }
}
