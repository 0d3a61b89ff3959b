using System.Net;
using System.Security.Cryptography;

namespace PartnerBase.Functions.Tests.Api;

public sealed class AuthenticationTests(ApiFactory factory)
{
    public static TheoryData<string, string?> BadTokens => new()
    {
        { "no token", null },
        { "garbage", "not-a-jwt" },
        { "expired", ApiFactory.Token("org_x", "u", ["viewer"], expires: DateTime.UtcNow.AddMinutes(-10)) },
        { "wrong key", ApiFactory.Token("org_x", "u", ["viewer"], key: RandomNumberGenerator.GetBytes(32)) },
        { "no org_id", ApiFactory.Token(null, "u", ["viewer"]) },
        { "no sub", ApiFactory.Token("org_x", null, ["viewer"]) },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Api_WithoutAValidToken_Returns401Unauthenticated(string why, string? token)
    {
        var response = await factory.WithToken(token).GetAsync("/api/payouts", TestContext.Current.CancellationToken);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.False(string.IsNullOrEmpty(problem["detail"]?.GetValue<string>()), why);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_WithRolesClaimArrayAsEntraIssuesIt_Authorizes()
    {
        var org = new TestOrg(factory);
        var partnerId = await org.CreatePartnerAsync();
        var id = (await org.CreatePayoutAsync(partnerId))["id"]!.GetValue<string>();
        var client = factory.WithToken(ApiFactory.Token(org.Id, "entra-user", ["approver", "finance"], roleClaim: "roles"));

        var approve = await client.PostAsync($"/api/payouts/{id}/approve", null, TestContext.Current.CancellationToken);
        var pay = await client.PostAsync($"/api/payouts/{id}/mark-paid", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
        Assert.Equal(HttpStatusCode.OK, pay.StatusCode);
    }

    [Fact]
    public async Task Api_WithUnknownRoleOnly_Returns403()
    {
        var response = await factory.ClientFor("org_x", "u", "superuser").GetAsync("/api/payouts", TestContext.Current.CancellationToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task PartnerRole_SeesOnlyItsOwnPayoutsAndSummary()
    {
        var org = new TestOrg(factory);
        var mine = await org.CreatePartnerAsync();
        var theirs = await org.CreatePartnerAsync();
        var myPayout = (await org.CreatePayoutAsync(mine))["id"]!.GetValue<string>();
        var theirPayout = (await org.CreatePayoutAsync(theirs))["id"]!.GetValue<string>();
        var partner = org.PartnerClient(mine);
        var ct = TestContext.Current.CancellationToken;

        Assert.Equal(HttpStatusCode.OK, (await partner.GetAsync($"/api/payouts/{myPayout}", ct)).StatusCode);
        await ProblemAssert.IsProblemAsync(await partner.GetAsync($"/api/payouts/{theirPayout}", ct), HttpStatusCode.NotFound, "not_found");
        var list = await TestOrg.Json(await partner.GetAsync("/api/payouts", ct));
        Assert.Equal([myPayout], list["data"]!.AsArray().Select(p => p!["id"]!.GetValue<string>()));
        var asked = await TestOrg.Json(await partner.GetAsync($"/api/payouts?partnerId={theirs}", ct));
        Assert.Empty(asked["data"]!.AsArray());
        Assert.Equal(HttpStatusCode.OK, (await partner.GetAsync($"/api/partners/{mine}/payout-summary", ct)).StatusCode);
        await ProblemAssert.IsProblemAsync(await partner.GetAsync($"/api/partners/{theirs}/payout-summary", ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await partner.GetAsync("/api/audit-log", ct), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.IsProblemAsync(await partner.GetAsync($"/api/partners/{mine}", ct), HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task PartnerRole_WithoutPartnerIdClaim_IsForbidden()
    {
        var client = factory.WithToken(ApiFactory.Token("org_x", "p", ["partner"]));

        var response = await client.GetAsync("/api/payouts", TestContext.Current.CancellationToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
    }
}
