using System.Net;

namespace PartnerBase.Functions.Tests.Api;

public sealed class CorsTests(ApiFactory factory)
{
    [Fact]
    public async Task Preflight_FromConfiguredOrigin_IsAllowedAndExposesETag()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/payouts");
        preflight.Headers.Add("Origin", "http://localhost:5173");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type,idempotency-key,if-match");
        using var get = new HttpRequestMessage(HttpMethod.Get, "/api/health");
        get.Headers.Add("Origin", "http://localhost:5173");

        var response = await factory.CreateClient().SendAsync(preflight, TestContext.Current.CancellationToken);
        var simple = await factory.CreateClient().SendAsync(get, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("http://localhost:5173", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("ETag", simple.Headers.GetValues("Access-Control-Expose-Headers").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preflight_FromUnknownOrigin_IsNotAllowed()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/payouts");
        preflight.Headers.Add("Origin", "https://evil.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");

        var response = await factory.CreateClient().SendAsync(preflight, TestContext.Current.CancellationToken);

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }
}
