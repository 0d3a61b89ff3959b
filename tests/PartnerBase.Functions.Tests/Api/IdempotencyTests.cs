using System.Net;
using System.Net.Http.Json;

namespace PartnerBase.Functions.Tests.Api;

public sealed class IdempotencyTests(ApiFactory factory)
{
    private readonly TestOrg _org = new(factory);

    [Fact]
    public async Task CreatePayout_RetriedWithSameKeyAndBody_ReplaysWithoutCreatingAnother()
    {
        var partnerId = await _org.CreatePartnerAsync();
        var body = new { partnerId, amount = 4_200, currency = "USD", period = "2026-07" };

        var first = await SendAsync("/api/payouts", body, "key-1");
        var second = await SendAsync("/api/payouts", body, "key-1");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(await first.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), await second.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        var list = await TestOrg.Json(await _org.Viewer.GetAsync("/api/payouts", TestContext.Current.CancellationToken));
        Assert.Single(list["data"]!.AsArray());
    }

    [Fact]
    public async Task CreatePayout_SameKeyDifferentBody_Returns422()
    {
        var partnerId = await _org.CreatePartnerAsync();
        await SendAsync("/api/payouts", new { partnerId, amount = 1, currency = "USD", period = "2026-07" }, "key-2");

        var response = await SendAsync("/api/payouts", new { partnerId, amount = 2, currency = "USD", period = "2026-07" }, "key-2");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.UnprocessableEntity, "idempotency_key_reuse");
        Assert.Single((await TestOrg.Json(await _org.Viewer.GetAsync("/api/payouts", TestContext.Current.CancellationToken)))["data"]!.AsArray());
    }

    [Fact]
    public async Task CreatePayout_KeyIsScopedToTheOrganization()
    {
        var other = new TestOrg(factory);
        var mine = await _org.CreatePartnerAsync("p1");
        await other.CreatePartnerAsync("p1");
        var body = new { partnerId = mine, amount = 1, currency = "USD", period = "2026-07" };

        var first = await SendAsync("/api/payouts", body, "shared-key");
        var second = await SendAsync("/api/payouts", body, "shared-key", other.Manager);

        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.False(second.Headers.Contains("Idempotent-Replayed"));
        Assert.NotEqual(first.Headers.Location, second.Headers.Location);
    }

    [Fact]
    public async Task CreatePayout_AfterAFailedAttempt_CanRetryWithTheSameKey()
    {
        var partnerId = await _org.CreatePartnerAsync();

        var failed = await SendAsync("/api/payouts", new { partnerId, amount = 0, currency = "USD", period = "2026-07" }, "key-3");
        var fixedUp = await SendAsync("/api/payouts", new { partnerId, amount = 5, currency = "USD", period = "2026-07" }, "key-3");

        await ProblemAssert.IsValidationProblemAsync(failed, "amount");
        Assert.Equal(HttpStatusCode.Created, fixedUp.StatusCode);
    }

    [Fact]
    public async Task BulkApprove_Replayed_ReturnsTheOriginalResult()
    {
        var partnerId = await _org.CreatePartnerAsync();
        var id = (await _org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();
        var body = new { payoutIds = new[] { id } };

        var first = await SendAsync("/api/payouts/bulk-approve", body, "bulk-1", _org.Approver);
        var second = await SendAsync("/api/payouts/bulk-approve", body, "bulk-1", _org.Approver);

        Assert.Equal([id], (await TestOrg.Json(second))["approved"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Single(await _org.AuditAsync(id), e => e!["type"]!.GetValue<string>() == "payout.approved");
    }

    [Fact]
    public async Task CreatePayout_ConcurrentRetriesWithOneKey_CreateOnePayout()
    {
        var partnerId = await _org.CreatePartnerAsync();
        var body = new { partnerId, amount = 9, currency = "USD", period = "2026-07" };

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => SendAsync("/api/payouts", body, "race-key")));

        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, r.StatusCode.ToString()));
        foreach (var conflict in responses.Where(r => r.StatusCode == HttpStatusCode.Conflict))
        {
            await ProblemAssert.IsProblemAsync(conflict, HttpStatusCode.Conflict, "conflict");
        }

        Assert.Single((await TestOrg.Json(await _org.Viewer.GetAsync("/api/payouts", TestContext.Current.CancellationToken)))["data"]!.AsArray());
    }

    private Task<HttpResponseMessage> SendAsync(string path, object body, string key, HttpClient? client = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return (client ?? _org.Manager).SendAsync(request, TestContext.Current.CancellationToken);
    }
}
