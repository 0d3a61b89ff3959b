using Microsoft.Azure.Cosmos;
using PartnerBase.Core;
using PartnerBase.Core.Payouts;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Cosmos;

[assembly: AssemblyFixture(typeof(PartnerBase.Functions.Tests.Storage.CosmosServer))]

namespace PartnerBase.Functions.Tests.Storage;

/// <summary>
/// Crash safety of the Cosmos store (ARCHITECTURE.md decision 3): every write step of every change is made to fail
/// in turn — before it reaches the database, and after it was applied but before the caller heard back, as when a
/// process dies mid-request. A new instance then retries the same command and reloads. The payout's state, version
/// and events must agree: no event lost, none duplicated, no transition applied twice.
/// </summary>
public sealed class CosmosCrashSafetyTests(CosmosServer server)
{
    private static readonly Actor Manager = Actor.User("manager");
    private static readonly Actor Approver = Actor.User("approver");
    private static readonly Actor Finance = Actor.User("finance");

    public static TheoryData<string, int, bool> Cases()
    {
        var data = new TheoryData<string, int, bool>();
        foreach (var operation in new[] { "create", "approve", "reject", "mark-paid", "delete" })
        {
            // Each change writes two documents: the event, then the payout's state.
            for (var step = 1; step <= 2; step++)
            {
                data.Add(operation, step, false);
                data.Add(operation, step, true);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Change_InterruptedAtAnyWrite_RetryAndReloadAgree(string operation, int failingWrite, bool afterTheWriteLanded)
    {
        var ct = TestContext.Current.CancellationToken;
        var time = TimeProvider.System;
        var orgId = "org_" + Guid.NewGuid().ToString("N")[..12];
        var healthy = new CosmosPayoutStore(server.Container, time);
        await healthy.TryCreatePartnerAsync(new Partner("p1", orgId, "P", "p@example.com", 1000, null, null, time.GetUtcNow(), time.GetUtcNow(), 1), ct);
        var setup = new PayoutService(healthy, time);
        var payoutId = operation == "create" ? PayoutService.IdFromKey("po_", orgId, "crash") : await PrepareAsync(setup, orgId, operation, ct);

        using var faults = new FaultInjector(failingWrite, afterTheWriteLanded);
        using var faultyClient = FaultyClient(faults);
        var crashing = new PayoutService(new CosmosPayoutStore(faultyClient.GetContainer(server.Database, server.ContainerName), time), time);
        var firstAttempt = await Record(() => RunAsync(crashing, orgId, payoutId, operation, ct));
        Assert.True(faults.Fired, $"write {failingWrite} of '{operation}' was never reached");

        // A new instance (empty caches) retries the command the client saw fail, then reloads.
        var restarted = new CosmosPayoutStore(server.Container, time);
        var retry = await Record(() => RunAsync(new PayoutService(restarted, time), orgId, payoutId, operation, ct));
        var events = await restarted.GetPayoutEventsAsync(orgId, payoutId, cancellationToken: ct);
        var reloaded = await restarted.GetPayoutAsync(orgId, payoutId, ct);

        var context = $"first attempt: {firstAttempt}; retry: {retry}";
        Assert.Equal(Enumerable.Range(1, events.Count).Select(v => (long)v), events.Select(e => e.Sequence));
        Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());
        Assert.Single(events, e => e.Action == ActionOf(operation));
        var replayed = Payout.Replay(events);
        Assert.True(replayed?.Version == reloaded?.Version && replayed?.Status == reloaded?.Status, context);
        Assert.Equal(operation == "delete", reloaded is null);
        if (reloaded is not null)
        {
            Assert.Equal(events[^1].Payout.Status, reloaded.Status);
            Assert.Equal(events.Count, reloaded.Version);
        }
    }

    private static async Task<string> PrepareAsync(PayoutService payouts, string orgId, string operation, CancellationToken ct)
    {
        var created = await payouts.CreateAsync(new NewPayout(orgId, "p1", new Money(10_000, Currency.Parse("USD")), Period.Month(2026, 7), null, null), Manager, cancellationToken: ct);
        if (operation == "mark-paid")
        {
            Assert.True((await payouts.ChangeAsync(orgId, created.Value.Id, null, (p, now) => p.Approve(Approver, ApprovalPolicy.Default, now), ct)).Succeeded);
        }

        return created.Value.Id;
    }

    private static async Task<string> RunAsync(PayoutService payouts, string orgId, string payoutId, string operation, CancellationToken ct)
    {
        Outcome<Payout> outcome = operation switch
        {
            "create" => await payouts.CreateAsync(new NewPayout(orgId, "p1", new Money(10_000, Currency.Parse("USD")), Period.Month(2026, 7), null, null), Manager, "crash", ct),
            "approve" => await payouts.ChangeAsync(orgId, payoutId, null, (p, now) => p.Approve(Approver, ApprovalPolicy.Default, now), ct),
            "reject" => await payouts.ChangeAsync(orgId, payoutId, null, (p, now) => p.Reject(Approver, "no", now), ct),
            "mark-paid" => await payouts.ChangeAsync(orgId, payoutId, null, (p, now) => p.MarkPaid(Finance, "tr_1", now), ct),
            "delete" => await payouts.ChangeAsync(orgId, payoutId, null, (p, now) => p.Delete(Manager, now), ct),
            _ => throw new ArgumentOutOfRangeException(nameof(operation)),
        };
        return outcome.Succeeded ? "ok" : outcome.Failure!.Code.ToString();
    }

    private static PayoutAction ActionOf(string operation) => operation switch
    {
        "create" => PayoutAction.Create,
        "approve" => PayoutAction.Approve,
        "reject" => PayoutAction.Reject,
        "mark-paid" => PayoutAction.MarkPaid,
        _ => PayoutAction.Delete,
    };

    private static async Task<string> Record(Func<Task<string>> attempt)
    {
        try
        {
            return await attempt();
        }
        catch (Exception exception) when (exception is CosmosException or HttpRequestException or InvalidOperationException)
        {
            return "threw " + exception.GetType().Name;
        }
    }

    private CosmosClient FaultyClient(FaultInjector faults)
    {
#pragma warning disable CA5359 // The local test server's certificate is self-signed.
        faults.InnerHandler = new SocketsHttpHandler { SslOptions = new() { RemoteCertificateValidationCallback = (_, _, _, _) => true } };
#pragma warning restore CA5359
        return new CosmosClient(server.Endpoint, server.Key, new CosmosClientOptions
        {
            ConnectionMode = ConnectionMode.Gateway,
            LimitToEndpoint = true,
            HttpClientFactory = () => new HttpClient(faults, disposeHandler: false),
        });
    }

    /// <summary>Fails the n-th document write: before sending it, or after the database applied it.</summary>
    private sealed class FaultInjector(int failingWrite, bool afterTheWriteLanded) : DelegatingHandler
    {
        private int _writes;

        public bool Fired { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var isQuery = request.Headers.Contains("x-ms-documentdb-isquery") || request.Headers.Contains("x-ms-cosmos-is-query-plan-request");
            var isDocumentWrite = request.Method != HttpMethod.Get && !isQuery && request.RequestUri!.AbsolutePath.Contains("/docs", StringComparison.Ordinal);
            if (!isDocumentWrite || Interlocked.Increment(ref _writes) != failingWrite)
            {
                return await base.SendAsync(request, cancellationToken);
            }

            Fired = true;
            if (!afterTheWriteLanded)
            {
                throw new HttpRequestException("Injected crash before the write.");
            }

            using var landed = await base.SendAsync(request, cancellationToken);
            throw new HttpRequestException($"Injected crash after the write landed ({(int)landed.StatusCode}).");
        }
    }
}
