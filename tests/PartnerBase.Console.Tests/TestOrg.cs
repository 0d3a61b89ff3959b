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

    public HttpClient Finance => Client("finance-api", "finance");

    public HttpClient Admin => Client("admin-api", "admin");

    /// <summary>Last month (<c>2026-10</c>): the period its commission run settles and its statements cover.</summary>
    public static string LastMonth
    {
        get
        {
            var lastMonth = DateTime.UtcNow.AddMonths(-1);
            return $"{lastMonth.Year:D4}-{lastMonth.Month:D2}";
        }
    }

    public HttpClient Client(string user, params string[] roles) => app.ApiClient(Id, user, roles);

    /// <param name="account">The payout account; <c>acct_ok_…</c> is paid by the simulated provider.</param>
    public async Task<string> CreatePartnerAsync(string id, string name, string? account = null)
    {
        var response = await Manager.PostAsJsonAsync("/api/partners", new { id, name, email = $"{id}@example.com", commissionRateBps = 1000, payoutAccountId = account }, Cancellation);
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

    /// <summary>
    /// Last month's settlement of each partner: one won deal of 2,500.00 USD closed on the 10th (deal <c>deal-{partner}</c>),
    /// the commission run (10 %: a payout of $250.00 each), and the payouts approved. Returns the payouts' ids.
    /// </summary>
    public async Task<IReadOnlyList<string>> SettleLastMonthAsync(params string[] partnerIds)
    {
        var lastMonth = DateTime.UtcNow.AddMonths(-1);
        var closedAt = new DateTimeOffset(lastMonth.Year, lastMonth.Month, 10, 12, 0, 0, TimeSpan.Zero);
        var attributions = partnerIds.Select(partnerId => new { id = $"deal-{partnerId}", partnerId, dealId = $"deal-{partnerId}", attributedAmount = 250_000, currency = "USD", closedAt, status = "won" });
        await ExpectAsync(await Manager.PostAsJsonAsync("/api/attributions", new { attributions }, Cancellation), HttpStatusCode.OK);

        var run = await Manager.PostAsJsonAsync("/api/commission-runs", new { period = LastMonth }, Cancellation);
        await ExpectAsync(run, HttpStatusCode.OK);
        var payoutIds = (await JsonAsync(run))["payouts"]!.AsArray().Select(p => p!["payoutId"]!.GetValue<string>()).ToList();
        Assert.Equal(partnerIds.Length, payoutIds.Count);
        foreach (var payoutId in payoutIds)
        {
            await ActAsync(Approver, payoutId, "approve");
        }

        return payoutIds;
    }

    /// <summary>Generates the period's statements as finance; returns the partners that got one.</summary>
    public async Task<IReadOnlyList<string>> GenerateStatementsAsync(string period)
    {
        var response = await Finance.PostAsJsonAsync("/api/statements", new { period }, Cancellation);
        await ExpectAsync(response, HttpStatusCode.OK);
        return [.. (await JsonAsync(response))["statements"]!.AsArray().Select(s => s!["partnerId"]!.GetValue<string>())];
    }

    /// <summary>Waits (up to a minute: the payments timer runs every second) until the payout has this status.</summary>
    public async Task<JsonObject> WaitForStatusAsync(string payoutId, string status)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var payout = await GetPayoutAsync(payoutId);
            if (payout["status"]!.GetValue<string>() == status)
            {
                return payout;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"payout {payoutId} is {payout["status"]} after 60 s, not {status}");
            await Task.Delay(200, Cancellation);
        }
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
