namespace PartnerBase.Benchmarks;

/// <summary>One command per benchmark; see README.md "Benchmarks".</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // WebApplicationFactory finds the app's content root through a manifest it reads from the current directory.
        Environment.CurrentDirectory = AppContext.BaseDirectory;
        return args.FirstOrDefault() switch
        {
            "cosmos-requests" => await CosmosRequests.RunAsync(),
            "commissions" => await CommissionRuns.RunAsync(),
            "commissions-cosmos" => await CommissionRuns.RunCosmosAsync(),
            "load" => await Load.RunAsync(),
            "soak" => await Soak.RunAsync(args),
            "micro" => Micro.MicroBenchmarks.Run(args[1..]),
            "coldstart" => await ColdStart.RunAsync(),
            _ => Usage(),
        };
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: dotnet run -c Release --project benchmarks/PartnerBase.Benchmarks -- cosmos-requests | commissions | commissions-cosmos | load | soak [seconds] | micro [--filter *Money*] | coldstart");
        return 2;
    }
}
