using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs.Models;

namespace PartnerBase.Functions.Tests.Api;

/// <summary>CONTRACT §10 statements over HTTP, on Azurite: content, formats, partner scoping, regeneration.</summary>
public sealed class StatementsApiTests(ApiFactory factory)
{
    private readonly TestOrg _org = new(factory);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Generate_AfterRunsApprovalAndPayment_StatementShowsTheRunsLinesHeldCarriedAndTotals()
    {
        var (acme, small, payoutId) = await SeptemberAsync();
        var manual = await _org.CreatePayoutAsync(acme, 500, period: "2026-09");
        var rejected = await _org.CreatePayoutAsync(acme, 700, period: "2026-09");
        await _org.ActAsync(_org.Approver, rejected["id"]!.GetValue<string>(), "reject", new { reason = "duplicate" });

        var generated = await GenerateAsync("2026-09");

        Assert.Equal("2026-09", generated["period"]!.GetValue<string>());
        Assert.Equal([acme, small], generated["statements"]!.AsArray().Select(s => s!["partnerId"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        var statement = await GetJsonAsync(_org.Viewer, acme, "2026-09");
        Assert.Equal(acme, statement["partner"]!["id"]!.GetValue<string>());
        Assert.Equal("Acme", statement["partner"]!["name"]!.GetValue<string>());
        var usd = statement["currencies"]!.AsArray().Single()!;
        Assert.Equal("USD", usd["currency"]!.GetValue<string>());
        var payouts = usd["payouts"]!.AsArray();
        Assert.Equal([payoutId, manual["id"]!.GetValue<string>(), rejected["id"]!.GetValue<string>()], payouts.Select(p => p!["id"]!.GetValue<string>()));
        var run = payouts[0]!;
        Assert.Equal(("paid", "commission_run", 3_000L), (run["status"]!.GetValue<string>(), run["source"]!.GetValue<string>(), run["amount"]!.GetValue<long>()));
        Assert.StartsWith("sim_tr_", run["paymentReference"]!.GetValue<string>());
        var lines = run["lines"]!.AsArray().Select(l => (l!["attributionId"]!.GetValue<string>(), l["attributedAmount"]!.GetValue<long>(), l["commissionRateBps"]!.GetValue<int>(), l["commission"]!.GetValue<long>())).ToList();
        Assert.Equal([("a0", -30_000L, 1_000, -3_000L), ("a1", 40_000L, 1_000, 4_000L), ("a2", 20_000L, 1_000, 2_000L)], lines);
        Assert.Equal(run["amount"]!.GetValue<long>(), run["lines"]!.AsArray().Sum(l => l!["commission"]!.GetValue<long>()));
        Assert.Empty(payouts[1]!["lines"]!.AsArray());
        var held = usd["held"]!.AsArray().Single()!;
        Assert.Equal(("a3", "deal-a3", 1_000L), (held["attributionId"]!.GetValue<string>(), held["dealId"]!.GetValue<string>(), held["commission"]!.GetValue<long>()));
        Assert.Equal(DateTimeOffset.Parse("2026-10-03T12:00:00Z"), held["payableFrom"]!.GetValue<DateTimeOffset>());
        Assert.Equal(0, usd["carriedForward"]!.GetValue<long>());
        var totals = usd["totals"]!;
        Assert.Equal((3_500L, 3_000L, 500L, 0L), (totals["earned"]!.GetValue<long>(), totals["paid"]!.GetValue<long>(), totals["pending"]!.GetValue<long>(), totals["failed"]!.GetValue<long>()));

        var carried = (await GetJsonAsync(_org.Finance, small, "2026-09"))["currencies"]!.AsArray().Single()!;
        Assert.Equal((1_000L, 0), (carried["carriedForward"]!.GetValue<long>(), carried["payouts"]!.AsArray().Count));
    }

    [Fact]
    public async Task Get_NegotiatesPdfByDefaultOrJson_PartnerSeesOnlyItsOwn()
    {
        var (acme, small, _) = await SeptemberAsync();
        await GenerateAsync("2026-09");

        foreach (var accept in new string?[] { null, "application/pdf", "*/*", "application/json;q=0.5, application/pdf" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/partners/{acme}/statements/2026-09");
            if (accept is not null)
            {
                request.Headers.TryAddWithoutValidation("Accept", accept);
            }

            var pdf = await _org.Viewer.SendAsync(request, Ct);
            await TestOrg.ExpectAsync(pdf, HttpStatusCode.OK);
            Assert.Equal("application/pdf", pdf.Content.Headers.ContentType!.MediaType);
            Assert.Equal("%PDF-", Encoding.ASCII.GetString((await pdf.Content.ReadAsByteArrayAsync(Ct))[..5]));
        }

        var own = _org.PartnerClient(acme);
        Assert.Equal(acme, (await GetJsonAsync(own, acme, "2026-09"))["partner"]!["id"]!.GetValue<string>());
        var listed = await TestOrg.Json(await own.GetAsync($"/api/partners/{acme}/statements", Ct));
        Assert.Equal("2026-09", listed["data"]!.AsArray().Single()!["period"]!.GetValue<string>());

        await ProblemAssert.IsProblemAsync(await own.GetAsync($"/api/partners/{small}/statements/2026-09", Ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await own.GetAsync($"/api/partners/{small}/statements", Ct), HttpStatusCode.NotFound, "not_found");
        using var html = new HttpRequestMessage(HttpMethod.Get, $"/api/partners/{acme}/statements/2026-09");
        html.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        await ProblemAssert.IsProblemAsync(await _org.Viewer.SendAsync(html, Ct), HttpStatusCode.NotAcceptable, "not_acceptable");
        await ProblemAssert.IsProblemAsync(await _org.Viewer.GetAsync($"/api/partners/{acme}/statements/2026-08", Ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await _org.Viewer.GetAsync($"/api/partners/{acme}/statements/september", Ct), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(HttpStatusCode.NotFound, (await new TestOrg(factory).Viewer.GetAsync($"/api/partners/{acme}/statements/2026-09", Ct)).StatusCode);
    }

    [Fact]
    public async Task Generate_Again_WritesANewVersionAndKeepsTheEarlierOne()
    {
        var (acme, _, _) = await SeptemberAsync();
        var first = (await GenerateAsync("2026-09"))["statements"]!.AsArray().Single(s => s!["partnerId"]!.GetValue<string>() == acme)!["id"]!.GetValue<string>();

        var second = (await GenerateAsync("2026-09"))["statements"]!.AsArray().Single(s => s!["partnerId"]!.GetValue<string>() == acme)!["id"]!.GetValue<string>();

        Assert.NotEqual(first, second);
        Assert.Equal(second, (await GetJsonAsync(_org.Viewer, acme, "2026-09"))["id"]!.GetValue<string>());
        var listed = (await TestOrg.Json(await _org.Viewer.GetAsync($"/api/partners/{acme}/statements", Ct)))["data"]!.AsArray();
        Assert.Equal(second, listed.Single()!["id"]!.GetValue<string>());
        var container = factory.Azurite.Client.GetBlobContainerClient("documents");
        foreach (var extension in new[] { "json", "pdf" })
        {
            var path = $"statements/{_org.Id}/2026-09/{acme}.{extension}";
            var snapshots = new List<string>();
            await foreach (var blob in container.GetBlobsAsync(BlobTraits.None, BlobStates.Snapshots, path, Ct))
            {
                if (blob.Name == path && blob.Snapshot is not null)
                {
                    snapshots.Add(blob.Snapshot);
                }
            }

            var earlier = Assert.Single(snapshots);
            if (extension == "json")
            {
                var content = (await container.GetBlobClient(path).WithSnapshot(earlier).DownloadContentAsync(Ct)).Value.Content.ToString();
                Assert.Equal(first, JsonNode.Parse(content)!["id"]!.GetValue<string>());
            }
        }
    }

    [Fact]
    public async Task Create_RefusesBadPeriodsAndRoles_ChangingNothing()
    {
        await ProblemAssert.IsProblemAsync(await _org.Manager.PostAsync("/api/statements", TestOrg.RawJson("{}"), Ct), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await _org.Manager.PostAsync("/api/statements", TestOrg.RawJson("""{ "period": "2026-13" }"""), Ct), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await _org.Manager.PostAsync("/api/statements", TestOrg.RawJson("""{ "period": "2999-01" }"""), Ct), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await _org.Approver.PostAsync("/api/statements", TestOrg.RawJson("""{ "period": "2026-09" }"""), Ct), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.IsProblemAsync(await _org.Viewer.PostAsync("/api/statements", TestOrg.RawJson("""{ "period": "2026-09" }"""), Ct), HttpStatusCode.Forbidden, "forbidden");

        var partner = await _org.CreatePartnerAsync();
        Assert.Empty((await TestOrg.Json(await _org.Viewer.GetAsync($"/api/partners/{partner}/statements", Ct)))["data"]!.AsArray());
        var finance = await _org.Finance.PostAsync("/api/statements", TestOrg.RawJson("""{ "period": "2026-09" }"""), Ct);
        await TestOrg.ExpectAsync(finance, HttpStatusCode.OK);
        Assert.Empty((await TestOrg.Json(finance))["statements"]!.AsArray());
    }

    /// <summary>
    /// Acme (10 %): August's deal a0 (paid in August's run), then in September a1 and a2 won, a0 reversed, a3 closed
    /// three days before the end (hold 5 days); Small: one deal below the 20.00 USD minimum. September's run, Acme's
    /// payout approved and paid by the simulated provider.
    /// </summary>
    private async Task<(string Acme, string Small, string PayoutId)> SeptemberAsync()
    {
        await TestOrg.ExpectAsync(
            await _org.Admin.PatchAsync("/api/organization", TestOrg.RawJson("""{ "holdDays": 5, "automaticPayments": true, "minimumPayouts": { "USD": 2000 } }"""), Ct),
            HttpStatusCode.OK);
        var acme = await _org.CreatePartnerAsync(name: "Acme", account: "acct_acme", rateBps: 1_000);
        var small = await _org.CreatePartnerAsync(name: "Small", rateBps: 1_000);
        await IngestAsync(Attribution("a0", acme, 30_000, "2026-08-10T12:00:00Z"));
        var august = await RunAsync("2026-08");
        await PaidAsync(august["payouts"]![0]!["payoutId"]!.GetValue<string>());
        await IngestAsync(
            Attribution("a1", acme, 40_000, "2026-09-05T12:00:00Z"),
            Attribution("a2", acme, 20_000, "2026-09-20T12:00:00Z"),
            Attribution("a3", acme, 10_000, "2026-09-28T12:00:00Z"),
            Attribution("a0", acme, 30_000, "2026-08-10T12:00:00Z", "reversed"),
            Attribution("s1", small, 10_000, "2026-09-15T12:00:00Z"));
        var september = await RunAsync("2026-09");
        var payoutId = september["payouts"]!.AsArray().Single()!["payoutId"]!.GetValue<string>();
        await PaidAsync(payoutId);
        return (acme, small, payoutId);
    }

    private async Task PaidAsync(string payoutId)
    {
        await _org.ActAsync(_org.Approver, payoutId, "approve");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await _org.GetPayoutAsync(payoutId))["status"]!.GetValue<string>() != "paid")
        {
            Assert.True(DateTime.UtcNow < deadline, $"Payout {payoutId} was not paid by the simulated provider within 30 s.");
            await Task.Delay(200, Ct);
        }
    }

    private async Task<JsonObject> GenerateAsync(string period)
    {
        var response = await _org.Manager.PostAsync("/api/statements", TestOrg.RawJson($$"""{ "period": "{{period}}" }"""), Ct);
        await TestOrg.ExpectAsync(response, HttpStatusCode.OK);
        return await TestOrg.Json(response);
    }

    private static async Task<JsonObject> GetJsonAsync(HttpClient client, string partnerId, string period)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/partners/{partnerId}/statements/{period}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var response = await client.SendAsync(request, Ct);
        await TestOrg.ExpectAsync(response, HttpStatusCode.OK);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        return await TestOrg.Json(response);
    }

    private async Task IngestAsync(params object[] attributions) =>
        await TestOrg.ExpectAsync(await _org.Manager.PostAsJsonAsync("/api/attributions", new { attributions }, Ct), HttpStatusCode.OK);

    private async Task<JsonObject> RunAsync(string period)
    {
        var response = await _org.Manager.PostAsync("/api/commission-runs", TestOrg.RawJson($$"""{ "period": "{{period}}" }"""), Ct);
        await TestOrg.ExpectAsync(response, HttpStatusCode.OK);
        return await TestOrg.Json(response);
    }

    private static object Attribution(string id, string partnerId, long amount, string closedAt, string status = "won") =>
        new { id, partnerId, dealId = "deal-" + id, attributedAmount = amount, currency = "USD", closedAt, status };
}
