using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PartnerBase.Functions.Tests.Webhooks;

namespace PartnerBase.Functions.Tests.Api;

/// <summary>
/// CONTRACT §11 over HTTP against the real worker under the local host, whose <c>DeliverWebhooks</c> runs every
/// second (Development: http and local receivers allowed), to receivers on 127.0.0.1.
/// </summary>
public sealed class WebhooksApiTests(ApiFactory factory) : IAsyncDisposable
{
    private readonly TestOrg _org = new(factory);
    private readonly List<WebhookReceiver> _receivers = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ApprovedPayout_ReachesTheReceiverSigned_AndTheDeliveriesApiShowsTheAttempt()
    {
        var receiver = await ReceiverAsync();
        var endpoint = await CreateEndpointAsync(receiver, "payout.approved");
        var secret = endpoint["secret"]!.GetValue<string>();
        var payout = await _org.CreatePayoutAsync(await _org.CreatePartnerAsync());

        await _org.ActAsync(_org.Approver, payout["id"]!.GetValue<string>(), "approve");

        var request = Assert.Single(await receiver.WaitForAsync(1));
        Assert.True(request.VerifiedByLibrary(secret));
        Assert.True(request.SignedWith(secret));
        var cloudEvent = JsonNode.Parse(request.Body)!;
        Assert.Equal(("com.partnerbase.payout.approved", _org.Id, payout["id"]!.GetValue<string>()), (cloudEvent["type"]!.GetValue<string>(), cloudEvent["orgid"]!.GetValue<string>(), cloudEvent["subject"]!.GetValue<string>()));
        Assert.Equal(cloudEvent["id"]!.GetValue<string>(), request.Id);
        Assert.Equal("approved", cloudEvent["data"]!["payout"]!["status"]!.GetValue<string>());
        var delivery = await EventuallyAsync(async () =>
        {
            var page = await TestOrg.Json(await _org.Admin.GetAsync($"/api/webhook-endpoints/{endpoint["id"]}/deliveries", Ct));
            return page["data"]!.AsArray().SingleOrDefault(d => d!["status"]!.GetValue<string>() == "succeeded");
        });
        Assert.Equal((request.Id, "com.partnerbase.payout.approved"), (delivery["eventId"]!.GetValue<string>(), delivery["eventType"]!.GetValue<string>()));
        var attempt = Assert.Single(delivery["attempts"]!.AsArray())!;
        Assert.Equal(200, attempt["statusCode"]!.GetValue<int>());
        Assert.True(attempt["durationMs"]!.GetValue<long>() >= 0);
        Assert.Null(delivery["nextAttemptAt"]);
    }

    [Fact]
    public async Task Secret_IsShownAtCreationAndRotationOnly_AndBothSignFor24Hours()
    {
        var receiver = await ReceiverAsync();
        var created = await CreateEndpointAsync(receiver, "*");
        var id = created["id"]!.GetValue<string>();
        var first = created["secret"]!.GetValue<string>();
        Assert.Matches("^whsec_[A-Za-z0-9+/]{43}=$", first);
        Assert.Null((await TestOrg.Json(await _org.Admin.GetAsync($"/api/webhook-endpoints/{id}", Ct)))["secret"]);
        var listed = await TestOrg.Json(await _org.Admin.GetAsync("/api/webhook-endpoints", Ct));
        Assert.Equal([id], listed["data"]!.AsArray().Select(e => e!["id"]!.GetValue<string>()));
        Assert.DoesNotContain("whsec_", listed.ToJsonString(), StringComparison.Ordinal);

        var rotated = await TestOrg.Json(await _org.Admin.PostAsync($"/api/webhook-endpoints/{id}/rotate-secret", null, Ct));
        var second = rotated["secret"]!.GetValue<string>();
        var test = await TestOrg.Json(await _org.Admin.PostAsync($"/api/webhook-endpoints/{id}/test", null, Ct));

        Assert.NotEqual(first, second);
        Assert.Equal(("com.partnerbase.webhook.test", "succeeded"), (test["eventType"]!.GetValue<string>(), test["status"]!.GetValue<string>()));
        var request = Assert.Single(receiver.Received);
        Assert.Equal(test["eventId"]!.GetValue<string>(), request.Id);
        Assert.True(request.SignedWith(first) && request.SignedWith(second));
        Assert.True(request.VerifiedByLibrary(first) && request.VerifiedByLibrary(second));
    }

    [Fact]
    public async Task Test_GoesToThatEndpointOnly_WhateverItsEventTypes()
    {
        var chosen = await ReceiverAsync();
        var other = await ReceiverAsync();
        var endpoint = await CreateEndpointAsync(chosen, "payout.paid");
        await CreateEndpointAsync(other, "*");

        var test = await _org.Admin.PostAsync($"/api/webhook-endpoints/{endpoint["id"]}/test", null, Ct);

        await TestOrg.ExpectAsync(test, HttpStatusCode.OK);
        Assert.Equal("com.partnerbase.webhook.test", JsonNode.Parse(Assert.Single(chosen.Received).Body)!["type"]!.GetValue<string>());
        Assert.Empty(other.Received);
    }

    [Fact]
    public async Task FailedDelivery_IsRetriedOnRequest_WithTheSameWebhookId()
    {
        var receiver = await ReceiverAsync();
        receiver.Respond = (n, _) => Task.FromResult(n == 0 ? 500 : 200);
        var endpoint = await CreateEndpointAsync(receiver, "*");
        var test = await TestOrg.Json(await _org.Admin.PostAsync($"/api/webhook-endpoints/{endpoint["id"]}/test", null, Ct));
        Assert.Equal("pending", test["status"]!.GetValue<string>());
        Assert.Equal(500, test["attempts"]![0]!["statusCode"]!.GetValue<int>());
        Assert.NotNull(test["nextAttemptAt"]);

        var retried = await TestOrg.Json(await _org.Admin.PostAsync($"/api/webhook-endpoints/{endpoint["id"]}/deliveries/{test["id"]}/retry", null, Ct));

        Assert.Equal("succeeded", retried["status"]!.GetValue<string>());
        Assert.Equal([500, 200], retried["attempts"]!.AsArray().Select(a => a!["statusCode"]!.GetValue<int>()));
        Assert.Equal(2, receiver.Received.Count);
        Assert.Equal(receiver.Received.First().Id, receiver.Received.Last().Id);
        await ProblemAssert.IsProblemAsync(await _org.Admin.PostAsync($"/api/webhook-endpoints/{endpoint["id"]}/deliveries/whd_nope/retry", null, Ct), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Patch_DisablesAndEnables_Delete_RemovesIt()
    {
        var receiver = await ReceiverAsync();
        var endpoint = await CreateEndpointAsync(receiver, "payout.created");
        var id = endpoint["id"]!.GetValue<string>();
        // A second endpoint hears every event: once it has one, the event's deliveries have all been made.
        var probe = await ReceiverAsync();
        await CreateEndpointAsync(probe, "payout.created");
        using var stale = new HttpRequestMessage(HttpMethod.Patch, $"/api/webhook-endpoints/{id}") { Content = JsonContent.Create(new { status = "disabled" }) };
        stale.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"7\""));
        await ProblemAssert.IsProblemAsync(await _org.Admin.SendAsync(stale, Ct), HttpStatusCode.PreconditionFailed, "precondition_failed");

        var disabled = await TestOrg.Json(await _org.Admin.PatchAsJsonAsync($"/api/webhook-endpoints/{id}", new { status = "disabled", description = "paused for maintenance" }, Ct));
        await _org.CreatePayoutAsync(await _org.CreatePartnerAsync());
        await probe.WaitForAsync(1);
        var enabled = await TestOrg.Json(await _org.Admin.PatchAsJsonAsync($"/api/webhook-endpoints/{id}", new { status = "enabled", eventTypes = new[] { "payout.created", "payout.deleted" } }, Ct));
        await _org.CreatePayoutAsync(await _org.CreatePartnerAsync("p2"));
        await probe.WaitForAsync(2);
        await receiver.WaitForAsync(1);

        Assert.Equal(("disabled", "paused for maintenance"), (disabled["status"]!.GetValue<string>(), disabled["description"]!.GetValue<string>()));
        Assert.Contains("admin-1", disabled["disabledReason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("enabled", enabled["status"]!.GetValue<string>());
        Assert.Null(enabled["disabledReason"]);
        Assert.Equal(["payout.created", "payout.deleted"], enabled["eventTypes"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal(probe.Received.Last().Id, Assert.Single(receiver.Received).Id);   // nothing of the time it was disabled
        await TestOrg.ExpectAsync(await _org.Admin.DeleteAsync($"/api/webhook-endpoints/{id}", Ct), HttpStatusCode.NoContent);
        await ProblemAssert.IsProblemAsync(await _org.Admin.GetAsync($"/api/webhook-endpoints/{id}", Ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await _org.Admin.DeleteAsync($"/api/webhook-endpoints/{id}", Ct), HttpStatusCode.NotFound, "not_found");
        await _org.CreatePayoutAsync(await _org.CreatePartnerAsync("p3"));
        await probe.WaitForAsync(3);
        Assert.Single(receiver.Received);
    }

    [Fact]
    public async Task AnOrganization_HasAtMost20Endpoints()
    {
        var receiver = await ReceiverAsync();
        for (var i = 0; i < 20; i++)
        {
            await CreateEndpointAsync(receiver, "payout.paid");
        }

        var refused = await _org.Admin.PostAsJsonAsync("/api/webhook-endpoints", new { url = receiver.Url, eventTypes = new[] { "*" } }, Ct);

        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Conflict, "conflict");
        Assert.Equal(20, (await TestOrg.Json(await _org.Admin.GetAsync("/api/webhook-endpoints", Ct)))["data"]!.AsArray().Count);
    }

    [Fact]
    public async Task OnlyAdmins_ManageWebhooks()
    {
        var receiver = await ReceiverAsync();
        var endpoint = await CreateEndpointAsync(receiver, "*");
        foreach (var client in new[] { _org.Manager, _org.Approver, _org.Finance, _org.Viewer, _org.PartnerClient("p") })
        {
            await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/api/webhook-endpoints", new { url = receiver.Url, eventTypes = new[] { "*" } }, Ct), HttpStatusCode.Forbidden, "forbidden");
            await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/webhook-endpoints", Ct), HttpStatusCode.Forbidden, "forbidden");
            await ProblemAssert.IsProblemAsync(await client.PostAsync($"/api/webhook-endpoints/{endpoint["id"]}/rotate-secret", null, Ct), HttpStatusCode.Forbidden, "forbidden");
        }
    }

    [Fact]
    public async Task AnotherOrganization_NeitherSeesTheEndpoints_NorGetsTheEvents()
    {
        var victimReceiver = await ReceiverAsync();
        var attackerReceiver = await ReceiverAsync();
        var endpoint = await CreateEndpointAsync(victimReceiver, "*");
        var id = endpoint["id"]!.GetValue<string>();
        var test = await TestOrg.Json(await _org.Admin.PostAsync($"/api/webhook-endpoints/{id}/test", null, Ct));
        var attacker = new TestOrg(factory);
        await TestOrg.ExpectAsync(await attacker.Admin.PostAsJsonAsync("/api/webhook-endpoints", new { url = attackerReceiver.Url, eventTypes = new[] { "*" } }, Ct), HttpStatusCode.Created);

        foreach (var (method, path) in new[]
        {
            ("GET", $"/api/webhook-endpoints/{id}"),
            ("PATCH", $"/api/webhook-endpoints/{id}"),
            ("DELETE", $"/api/webhook-endpoints/{id}"),
            ("POST", $"/api/webhook-endpoints/{id}/rotate-secret"),
            ("POST", $"/api/webhook-endpoints/{id}/test"),
            ("GET", $"/api/webhook-endpoints/{id}/deliveries"),
            ("POST", $"/api/webhook-endpoints/{id}/deliveries/{test["id"]}/retry"),
        })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "PATCH" ? JsonContent.Create(new { url = attackerReceiver.Url }) : null };
            await ProblemAssert.IsProblemAsync(await attacker.Admin.SendAsync(request, Ct), HttpStatusCode.NotFound, "not_found");
        }

        await _org.CreatePayoutAsync(await _org.CreatePartnerAsync());
        await attacker.CreatePayoutAsync(await attacker.CreatePartnerAsync());
        await victimReceiver.WaitForAsync(2);
        await attackerReceiver.WaitForAsync(1);

        Assert.Single((await TestOrg.Json(await attacker.Admin.GetAsync("/api/webhook-endpoints", Ct)))["data"]!.AsArray());
        Assert.All(victimReceiver.Received, r => Assert.Equal(_org.Id, JsonNode.Parse(r.Body)!["orgid"]!.GetValue<string>()));
        Assert.Equal(attacker.Id, JsonNode.Parse(Assert.Single(attackerReceiver.Received).Body)!["orgid"]!.GetValue<string>());
        Assert.Equal(2, victimReceiver.Received.Count);
        Assert.Equal(1, (await TestOrg.Json(await _org.Admin.GetAsync($"/api/webhook-endpoints/{id}", Ct)))["version"]!.GetValue<long>());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var receiver in _receivers)
        {
            await receiver.DisposeAsync();
        }
    }

    private async Task<WebhookReceiver> ReceiverAsync()
    {
        var receiver = await WebhookReceiver.StartAsync();
        _receivers.Add(receiver);
        return receiver;
    }

    private async Task<JsonObject> CreateEndpointAsync(WebhookReceiver receiver, params string[] eventTypes)
    {
        var response = await _org.Admin.PostAsJsonAsync("/api/webhook-endpoints", new { url = receiver.Url, eventTypes, description = "tests" }, Ct);
        await TestOrg.ExpectAsync(response, HttpStatusCode.Created);
        var endpoint = await TestOrg.Json(response);
        Assert.Equal($"/api/webhook-endpoints/{endpoint["id"]}", response.Headers.Location!.OriginalString);
        Assert.Equal(("enabled", receiver.Url), (endpoint["status"]!.GetValue<string>(), endpoint["url"]!.GetValue<string>()));
        return endpoint;
    }

    private static async Task<JsonNode> EventuallyAsync(Func<Task<JsonNode?>> read)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await read() is { } found)
            {
                return found;
            }

            await Task.Delay(100, Ct);
        }

        throw new TimeoutException("Not there after 10 s.");
    }
}
