namespace PartnerBase.Benchmarks;

/// <summary>One command per benchmark; see README.md "Benchmarks".</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // WebApplicationFactory finds the app's content root through a manifest it reads from the current directory.
        Environment.CurrentDirectory = AppContext.BaseDirectory;
#if DEBUG
        if (args.FirstOrDefault() is "load" or "soak" or "coldstart" or "console" or "statements" or "webhooks")
        {
            // The driver shares the machine with what it measures.
            Console.Error.WriteLine("Run this benchmark with -c Release: a Debug driver skews the figures.");
            return 2;
        }
#endif
        return args.FirstOrDefault() switch
        {
            "cosmos-requests" => await CosmosRequests.RunAsync(),
            "commissions" => await CommissionRuns.RunAsync(),
            "commissions-cosmos" => await CommissionRuns.RunCosmosAsync(),
            "load" => await Load.RunAsync(args),
            "soak" => await Soak.RunAsync(args),
            "micro" => Micro.MicroBenchmarks.Run(args[1..]),
            "coldstart" => await ColdStart.RunAsync(args),
            "events" => await EventFlow.RunAsync(),
            "console" => await ConsoleLoad.RunAsync(),
            "statements" => await Statements.RunAsync(),
            "webhooks" => await Webhooks.RunAsync(),
            _ => Usage(),
        };
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: dotnet run -c Release --project benchmarks/PartnerBase.Benchmarks -- cosmos-requests | commissions | commissions-cosmos | load [seconds per scenario] | soak [seconds] | micro [--filter *Money*] | coldstart [starts] | events | console | statements | webhooks");
        return 2;
    }
}
