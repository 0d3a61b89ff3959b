using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging.Console;

namespace PartnerBase.FunctionsLocal;

/// <summary>
/// <c>dotnet PartnerBase.FunctionsLocal.dll [--app &lt;build output folder&gt;] [--urls http://localhost:7071] [--cors origin,…]
/// [--console &lt;console build output or publish folder&gt;] [--user-secrets-id &lt;id&gt;]</c>
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var loggerFactory = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "HH:mm:ss ";
            })
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("Grpc", LogLevel.Warning)
            .AddFilter("Yarp", LogLevel.Warning)
            .Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Error));

        using var stopping = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stopping.Cancel();
        };
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stopping.Cancel();
        });

        var options = new LocalHostOptions
        {
            AppDirectory = Argument(args, "--app") ?? Directory.GetCurrentDirectory(),
            Urls = Argument(args, "--urls")?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [],
            CorsOrigins = Argument(args, "--cors")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [],
            ConsoleDirectory = Argument(args, "--console"),
            UserSecretsId = Argument(args, "--user-secrets-id"),
        };

        LocalFunctionsHost host;
        try
        {
            host = await LocalFunctionsHost.StartAsync(options, new ProcessWorkerLauncher(loggerFactory), loggerFactory, stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 1;
        }

        await using (host)
        {
            PrintFunctions(host);
            var stopped = new TaskCompletionSource();
            using var registration = stopping.Token.Register(stopped.SetResult);
            await Task.WhenAny(stopped.Task, host.WorkerExited);

            // The host has logged the worker's last lines (errors go to stderr).
            return stopping.IsCancellationRequested ? 0 : 1;
        }
    }

    private static string? Argument(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    private static void PrintFunctions(LocalFunctionsHost host)
    {
        var baseUrl = host.BaseAddress.ToString().TrimEnd('/');
        Console.WriteLine();
        Console.WriteLine("Functions:");
        Console.WriteLine();
        foreach (var function in host.Functions.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            Console.WriteLine(function.Kind == FunctionKind.Http
                ? $"        {function.Name}: [{(function.Methods.Count == 0 ? "ALL" : string.Join(',', function.Methods))}] {baseUrl}/{function.Route}"
                : $"        {function.Name}: {function.TriggerType}");
        }

        Console.WriteLine();
        if (host.ServesConsole)
        {
            Console.WriteLine($"Console: {baseUrl}/");
        }

        if (host.SignInEnabled)
        {
            Console.WriteLine($"Sign in: {baseUrl}/.auth/login");
        }

        if (host.ServesConsole || host.SignInEnabled)
        {
            Console.WriteLine();
        }
    }
}
