using Microsoft.Azure.Functions.Worker.Builder;

namespace PartnerBase.Functions;

// Not static: tests build the worker in-process with WebApplicationFactory<Program>.
public sealed class Program
{
    private Program()
    {
    }

    public static void Main(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication();
        builder.AddPartnerBaseApi();
        builder.Build().Run();
    }
}
