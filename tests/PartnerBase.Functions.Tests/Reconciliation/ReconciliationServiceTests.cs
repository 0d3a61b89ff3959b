using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PartnerBase.Core.Organizations;
using PartnerBase.Core.Payments;
using PartnerBase.Core.Reconciliation;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Blobs;
using PartnerBase.Functions.Notifications;
using PartnerBase.Functions.Reconciliation;
using PartnerBase.Functions.Tests.Storage;

namespace PartnerBase.Functions.Tests.Reconciliation;

/// <summary>A run's report kept in Blob Storage (Azurite) and emailed to financeEmails once per run with issues.</summary>
public sealed class ReconciliationServiceTests(AzuriteServer azurite) : IClassFixture<AzuriteServer>
{
    private readonly InMemoryPayoutStore _store = new(TimeProvider.System);
    private readonly RecordingSender _email = new();
    private readonly string _orgId = "org_" + Guid.NewGuid().ToString("N")[..12];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunWithIssues_EmailsEachFinanceAddressOnce_ARepeatOfTheSameRunMailsNobody()
    {
        await _store.TrySaveOrganizationAsync(OrganizationSettings.Default(_orgId) with { FinanceEmails = ["cfo@example.com", "ap@example.com"], Version = 1 }, Ct);
        var now = DateTimeOffset.UtcNow;
        await _store.TryAddTransferAsync(_orgId, new ProviderTransfer("sim_tr_stray", null, "USD", 500, now, Reversed: false), Ct);
        var service = Service();

        var report = await service.RunAsync("rc_daily_1", _orgId, now.AddHours(-1), now.AddHours(1), Ct);
        await service.RunAsync("rc_daily_1", _orgId, now.AddHours(-1), now.AddHours(1), Ct);

        Assert.Equal(IssueKind.UnknownTransfer, Assert.Single(report.Issues).Kind);
        Assert.Equal(["ap@example.com", "cfo@example.com"], _email.Sent.Select(m => m.To).Order(StringComparer.Ordinal));
        Assert.All(_email.Sent, m => Assert.Contains("unknown_transfer", m.Body, StringComparison.Ordinal));
        Assert.All(_email.Sent, m => Assert.Contains("sim_tr_stray", m.Body, StringComparison.Ordinal));

        await service.RunAsync("rc_manual_2", _orgId, now.AddHours(-1), now.AddHours(1), Ct);
        Assert.Equal(4, _email.Sent.Count);
    }

    [Fact]
    public async Task CleanRun_MailsNobody_AndItsReportIsTheBlobAtItsPath()
    {
        await _store.TrySaveOrganizationAsync(OrganizationSettings.Default(_orgId) with { FinanceEmails = ["cfo@example.com"], Version = 1 }, Ct);
        var now = DateTimeOffset.UtcNow;

        var report = await Service().RunAsync("rc_clean", _orgId, now.AddDays(-7), now, Ct);

        Assert.Empty(_email.Sent);
        var blob = await azurite.Client.GetBlobContainerClient(DocumentStore.ContainerName).GetBlobClient($"reconciliation/{_orgId}/rc_clean.json").DownloadContentAsync(Ct);
        Assert.Equal("application/json", blob.Value.Details.ContentType);
        Assert.Equal(report, blob.Value.Content.ToObjectFromJson<ReconciliationRunResponse>(JsonOptions().Value.SerializerOptions), new ReportComparer());
        Assert.Equal("rc_clean", (await _store.ListReconciliationsAsync(_orgId, new PageRequest(10), Ct)).Items.Single().Id);
    }

    private ReconciliationService Service()
    {
        var documents = new DocumentStore(azurite.Client, Options.Create(new DocumentStorageOptions { ConnectionString = azurite.ConnectionString, CreateContainer = true }));
        var reconciler = new Reconciler(_store, new SimulatedPaymentGateway(_store, TimeProvider.System), TimeProvider.System);
        return new ReconciliationService(reconciler, _store, documents, _email, JsonOptions(), NullLogger<ReconciliationService>.Instance);
    }

    private static IOptions<JsonOptions> JsonOptions()
    {
        var options = new JsonOptions();
        ApiServices.ConfigureJson(options.SerializerOptions);
        return Options.Create(options);
    }

    private sealed class RecordingSender : IEmailSender
    {
        public ConcurrentBag<EmailMessage> Sent { get; } = [];

        public Task SendAsync(EmailMessage message, CancellationToken cancellationToken = default)
        {
            Sent.Add(message);
            return Task.CompletedTask;
        }
    }

    private sealed class ReportComparer : IEqualityComparer<ReconciliationRunResponse>
    {
        public bool Equals(ReconciliationRunResponse? x, ReconciliationRunResponse? y) =>
            x is not null && y is not null && x with { Issues = [] } == y with { Issues = [] } && x.Issues.SequenceEqual(y.Issues);

        public int GetHashCode(ReconciliationRunResponse obj) => obj.Id.GetHashCode(StringComparison.Ordinal);
    }
}
