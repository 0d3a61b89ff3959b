using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using PartnerBase.Functions.Tests.Hosting;
using PartnerBase.FunctionsLocal;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

[assembly: AssemblyFixture(typeof(PartnerBase.Functions.Tests.Api.ApiFactory))]

namespace PartnerBase.Functions.Tests.Api;

/// <summary>
/// The Function App (real worker, local Functions host) with a signing key of the tests' own, shared by the whole
/// assembly: on the in-memory store, or — where these files are compiled with COSMOS
/// (tests/PartnerBase.Functions.CosmosTests) — on the Cosmos DB store.
/// </summary>
public sealed class ApiFactory : IAsyncLifetime
{
    public const string Issuer = "partnerbase-tests";
    public const string Audience = "partnerbase-tests";

    private static readonly byte[] SigningKey = RandomNumberGenerator.GetBytes(32);

    private FunctionApp _app = null!;
    private string? _openApi;

#if COSMOS
    private readonly Storage.CosmosServer _cosmos = new();
#endif

    // The app's documents (statements, reconciliation reports) live in Blob Storage: Azurite, never a fake.
    private readonly Storage.AzuriteServer _azurite = new();

    public IServiceProvider Services => _app.Services;

    /// <summary>The app's blob storage (Azurite).</summary>
    public Storage.AzuriteServer Azurite => _azurite;

    /// <summary>Clients and tokens for another app of the tests' own (already started, disposed by its owner).</summary>
    public static ApiFactory For(FunctionApp app) => new() { _app = app };

    /// <summary>The functions the worker reported to the local Functions host.</summary>
    public IReadOnlyList<LocalFunction> Functions => _app.Host.Functions;

    public async ValueTask InitializeAsync()
    {
#if COSMOS
        await _cosmos.InitializeAsync();
#endif
        await _azurite.InitializeAsync();
        _app = await FunctionApp.StartAsync(ConfigureWorker, corsOrigins: [CorsOrigin], runTimers: true);
        using var client = _app.CreateClient();
        _openApi = await client.GetStringAsync("/api/openapi/v1.json");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _azurite.DisposeAsync();
#if COSMOS
        await _cosmos.DisposeAsync();
#endif
    }

    /// <summary>The browser origin the local Functions host allows (as Azure's CORS setting would).</summary>
    public const string CorsOrigin = "http://localhost:5173";

    private void ConfigureWorker(IWebHostBuilder builder)
    {
#if COSMOS
        builder.UseSetting("Storage:Provider", "cosmos");
        builder.UseSetting("Cosmos:Endpoint", _cosmos.Endpoint);
        builder.UseSetting("Cosmos:Key", _cosmos.Key);
        builder.UseSetting("Cosmos:Database", _cosmos.Database);
        builder.UseSetting("Cosmos:Container", _cosmos.ContainerName);
        builder.UseSetting("Cosmos:DisableServerCertificateValidation", "true");
#endif
        builder.UseSetting("AzureWebJobsStorage", _azurite.ConnectionString);
        UseTestSettings(builder);
    }

    /// <summary>Accept the tokens <see cref="Token"/> makes; log warnings and errors only, so a failed test's output shows what went wrong.</summary>
    public static void UseTestSettings(IWebHostBuilder builder)
    {
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Authentication:Schemes:Bearer:ValidIssuer", Issuer);
        builder.UseSetting("Authentication:Schemes:Bearer:ValidAudiences:0", Audience);
        builder.UseSetting("Authentication:Schemes:Bearer:SigningKeys:0:Issuer", Issuer);
        builder.UseSetting("Authentication:Schemes:Bearer:SigningKeys:0:Value", Convert.ToBase64String(SigningKey));
    }

    /// <summary>A client whose requests carry a token for this user.</summary>
    public HttpClient ClientFor(string orgId, string userId, params string[] roles) => WithToken(Token(orgId, userId, roles));

    /// <summary>A client of the one app, through the local Functions host's HTTP port; its JSON answers are checked against the OpenAPI document.</summary>
    public HttpClient CreateClient() => _openApi is null ? _app.CreateClient() : new HttpClient(new ResponseSchemaValidator(_openApi)) { BaseAddress = _app.BaseAddress };

    public HttpClient WithToken(string? token)
    {
        var client = CreateClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    public static string Token(
        string? orgId,
        string? userId,
        string[] roles,
        string? partnerId = null,
        string roleClaim = "role",
        DateTime? expires = null,
        byte[]? key = null)
    {
        var claims = new Dictionary<string, object>();
        if (orgId is not null)
        {
            claims["org_id"] = orgId;
        }

        if (userId is not null)
        {
            claims["sub"] = userId;
        }

        if (roles.Length > 0)
        {
            claims[roleClaim] = roles.Length == 1 ? roles[0] : roles;
        }

        if (partnerId is not null)
        {
            claims["partner_id"] = partnerId;
        }

        var notAfter = expires ?? DateTime.UtcNow.AddHours(1);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Claims = claims,
            NotBefore = notAfter.AddHours(-2),
            Expires = notAfter,
            IssuedAt = notAfter.AddHours(-2),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key ?? SigningKey), SecurityAlgorithms.HmacSha256),
        });
    }
}
