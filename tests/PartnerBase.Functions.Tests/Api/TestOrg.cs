using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PartnerBase.Functions.Tests.Api;

/// <summary>A fresh organization of one test, with a client per role and helpers that assert as they go.</summary>
public sealed class TestOrg(ApiFactory factory, string? id = null)
{
    public string Id { get; } = id ?? "org_" + Guid.NewGuid().ToString("N")[..12];

    public HttpClient Manager => Client("manager-1", "manager");
    public HttpClient Approver => Client("approver-1", "approver");
    public HttpClient Finance => Client("finance-1", "finance");
    public HttpClient Viewer => Client("viewer-1", "viewer");
    public HttpClient Admin => Client("admin-1", "admin");

    public HttpClient Client(string userId, params string[] roles) => factory.ClientFor(Id, userId, roles);

    public HttpClient PartnerClient(string partnerId) =>
        factory.WithToken(ApiFactory.Token(Id, "partner-user-" + partnerId, ["partner"], partnerId));

    public async Task<string> CreatePartnerAsync(string? partnerId = null, string name = "Partner", string? account = null, int rateBps = 1000)
    {
        var response = await Manager.PostAsJsonAsync("/api/partners", new { id = partnerId, name, email = "p@example.com", commissionRateBps = rateBps, payoutAccountId = account });
        await ExpectAsync(response, HttpStatusCode.Created);
        return (await Json(response))["id"]!.GetValue<string>();
    }

    public async Task<JsonObject> CreatePayoutAsync(string partnerId, long amount = 10_000, string currency = "USD", string period = "2026-07", string? notes = null, HttpClient? client = null)
    {
        var response = await (client ?? Manager).PostAsJsonAsync("/api/payouts", new { partnerId, amount, currency, period, notes });
        await ExpectAsync(response, HttpStatusCode.Created);
        return await Json(response);
    }

    /// <summary>Imports one won deal (2,500.00 USD) closed on the 10th of last month: what last month's commission run settles.</summary>
    public async Task ImportWonDealLastMonthAsync(string partnerId, CancellationToken cancellationToken)
    {
        var lastMonth = DateTimeOffset.UtcNow.AddMonths(-1);
        var closedAt = new DateTimeOffset(lastMonth.Year, lastMonth.Month, 10, 12, 0, 0, TimeSpan.Zero);
        var imported = await Manager.PostAsJsonAsync("/api/attributions", new
        {
            attributions = new[] { new { id = "deal-1", partnerId, dealId = "deal-1", attributedAmount = 250_000, currency = "USD", closedAt, status = "won" } },
        }, cancellationToken);
        await ExpectAsync(imported, HttpStatusCode.OK);
    }

    public async Task<JsonObject> ActAsync(HttpClient client, string payoutId, string action, object? body = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await client.PostAsJsonAsync($"/api/payouts/{payoutId}/{action}", body ?? new { });
        await ExpectAsync(response, expected);
        return await Json(response);
    }

    public async Task<JsonObject> GetPayoutAsync(string payoutId) => await Json(await Viewer.GetAsync($"/api/payouts/{payoutId}"));

    public async Task<JsonArray> AuditAsync(string payoutId) =>
        (await Json(await Viewer.GetAsync($"/api/audit-log?payoutId={payoutId}&limit=100")))["data"]!.AsArray();

    public static async Task ExpectAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode != expected)
        {
            Assert.Fail($"Expected {(int)expected} but got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    public static async Task<JsonObject> Json(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    public static StringContent RawJson(string body, string mediaType = "application/json") => new(body, Encoding.UTF8, mediaType);
}

public static class ProblemAssert
{
    /// <summary>Asserts an RFC 9457 body with the given status and code, and returns it.</summary>
    public static async Task<JsonObject> IsProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status} but got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!.AsObject();
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        Assert.Equal(code, problem["code"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(problem["title"]?.GetValue<string>()));
        Assert.NotNull(problem["type"]);
        return problem;
    }

    public static async Task<JsonObject> IsValidationProblemAsync(HttpResponseMessage response, string field)
    {
        var problem = await IsProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        var errors = problem["errors"]?.AsObject();
        Assert.True(errors is not null && errors.ContainsKey(field), $"Expected an error for '{field}' in {problem.ToJsonString()}");
        Assert.NotEmpty(errors[field]!.AsArray());
        return problem;
    }

    public static JsonSerializerOptions Web { get; } = new(JsonSerializerDefaults.Web);
}
