using System.Net;

namespace PartnerBase.Functions.Tests.Api;

public sealed class ConcurrencyTests(ApiFactory factory)
{
    [Fact]
    public async Task Approve_ThirtyTwoInParallel_ExactlyOneWinsAndOneEventIsRecorded()
    {
        var org = new TestOrg(factory);
        var partnerId = await org.CreatePartnerAsync();
        var id = (await org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();
        var approvers = Enumerable.Range(0, 32).Select(i => org.Client($"approver-{i}", "approver")).ToList();

        var responses = await Task.WhenAll(approvers.Select(client => Task.Run(() => client.PostAsync($"/api/payouts/{id}/approve", null, TestContext.Current.CancellationToken))));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        foreach (var loser in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
        {
            var problem = await ProblemAssert.IsProblemAsync(loser, HttpStatusCode.Conflict, (await TestOrg.Json(loser))["code"]!.GetValue<string>());
            Assert.Contains(problem["code"]!.GetValue<string>(), new[] { "conflict", "invalid_transition" });
        }

        var audit = await org.AuditAsync(id);
        Assert.Single(audit, e => e!["type"]!.GetValue<string>() == "payout.approved");
        var payout = await org.GetPayoutAsync(id);
        Assert.Equal(2, payout["version"]!.GetValue<long>());
        Assert.Equal("\"2\"", responses.Single(r => r.StatusCode == HttpStatusCode.OK).Headers.ETag?.Tag);
    }
}
