namespace BareApp;

/// <summary>An ASP.NET Core app of the API's shape with nothing in it but the health endpoint.</summary>
public static class Program
{
    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var app = builder.Build();
        app.MapGet("/api/health", () => TypedResults.Ok(new { status = "ok" }));
        app.Run();
    }
}
