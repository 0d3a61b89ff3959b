using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace PartnerBase.Console.Tests;

/// <summary>
/// One test's own organization (never <c>demo</c>), whose data the test makes through the API, so that no test sees
/// another's payouts and the seeded demo data stays as it is.
/// </summary>
public sealed class TestOrg(ConsoleApp app)
{
    public const string ManagerUser = "manager-1";

    public string Id { get; } = "e2e-" + Guid.NewGuid().ToString("N")[..12];

    public HttpClient Manager => Client(ManagerUser, "manager");

    public HttpClient Approver => Client("approver-api", "approver");

    public HttpClient Viewer => Client("viewer-api", "viewer");

    public HttpClient Client(string user, params string[] roles) => app.ApiClient(Id, user, roles);

    public async Task<string> CreatePartnerAsync(string id, string name)
    {
        var response = await Manager.PostAsJsonAsync("/api/partners", new { id, name, email = $"{id}@example.com", commissionRateBps = 1000 }, Cancellation);
        await ExpectAsync(response, HttpStatusCode.Created);
        return (await JsonAsync(response))["id"]!.GetValue<string>();
    }

    /// <summary>Creates a payout (amount in minor units) as <paramref name="creator"/>, a manager.</summary>
    public async Task<JsonObject> CreatePayoutAsync(string partnerId, long amount, string period = "2026-07", string? notes = null, string currency = "USD", string creator = ManagerUser)
    {
        var response = await Client(creator, "manager").PostAsJsonAsync("/api/payouts", new { partnerId, amount, currency, period, notes }, Cancellation);
        await ExpectAsync(response, HttpStatusCode.Created);
        return await JsonAsync(response);
    }

    public async Task<JsonObject> ActAsync(HttpClient client, string payoutId, string action, object? body = null)
    {
        var response = await client.PostAsJsonAsync($"/api/payouts/{payoutId}/{action}", body ?? new { }, Cancellation);
        await ExpectAsync(response, HttpStatusCode.OK);
        return await JsonAsync(response);
    }

    public async Task<JsonObject> UpdatePayoutAsync(string payoutId, object changes)
    {
        var response = await Manager.PatchAsJsonAsync($"/api/payouts/{payoutId}", changes, Cancellation);
        await ExpectAsync(response, HttpStatusCode.OK);
        return await JsonAsync(response);
    }

    public async Task<JsonObject> GetPayoutAsync(string payoutId)
    {
        var response = await Viewer.GetAsync($"/api/payouts/{payoutId}", Cancellation);
        await ExpectAsync(response, HttpStatusCode.OK);
        return await JsonAsync(response);
    }

    /// <summary>Every payout of the organization that matches the query (e.g. <c>status=pending_approval</c>), newest first.</summary>
    public async Task<IReadOnlyList<JsonObject>> ListPayoutsAsync(string query = "")
    {
        var payouts = new List<JsonObject>();
        string? cursor = null;
        do
        {
            var url = $"/api/payouts?limit=100{(query.Length > 0 ? "&" + query : "")}{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}";
            var response = await Viewer.GetAsync(url, Cancellation);
            await ExpectAsync(response, HttpStatusCode.OK);
            var page = await JsonAsync(response);
            payouts.AddRange(page["data"]!.AsArray().Select(item => item!.AsObject()));
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        return payouts;
    }

    public static async Task ExpectAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode != expected)
        {
            Assert.Fail($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {(int)expected} but got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Cancellation)}");
        }
    }

    public static async Task<JsonObject> JsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancellation))!.AsObject();

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;
}
