using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using PartnerBase.Core.Reconciliation;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Blobs;
using PartnerBase.Functions.Notifications;

namespace PartnerBase.Functions.Reconciliation;

/// <summary>
/// Runs a reconciliation (CONTRACT §10) and keeps its report as <c>reconciliation/{orgId}/{id}.json</c>, listed in the
/// store; a report with issues is emailed to the organization's <c>financeEmails</c> once per run id (a repeat of the
/// same run — the timer delivered twice — writes the report again but mails nobody again).
/// </summary>
public sealed partial class ReconciliationService(
    Reconciler reconciler, IPayoutStore store, DocumentStore documents, IEmailSender email, IOptions<JsonOptions> json, ILogger<ReconciliationService> logger)
{
    private const string EmailConsumer = "reconciliation-email";

    public static string PathOf(string orgId, string id) => $"reconciliation/{Uri.EscapeDataString(orgId)}/{id}.json";

    public async Task<ReconciliationRunResponse> RunAsync(string id, string orgId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        var report = await reconciler.ReconcileAsync(id, orgId, from, to, cancellationToken);
        var response = report.ToResponse();
        await documents.WriteAsync(PathOf(orgId, id), new BinaryData(JsonSerializer.SerializeToUtf8Bytes(response, json.Value.SerializerOptions)), "application/json", cancellationToken);
        await store.SaveReconciliationAsync(new ReconciliationEntry(id, orgId, from, to, report.CreatedAt, report.Matched, report.Issues.Count), cancellationToken);
        if (report.Issues.Count > 0 && !await store.IsEventHandledAsync(orgId, EmailConsumer, id, cancellationToken))
        {
            var settings = await store.GetOrganizationAsync(orgId, cancellationToken);
            foreach (var recipient in settings?.FinanceEmails ?? [])
            {
                await email.SendAsync(Message(recipient, report), cancellationToken);
            }

            await store.MarkEventHandledAsync(orgId, EmailConsumer, id, cancellationToken);
        }

        LogRun(logger, orgId, id, report.Matched, report.Issues.Count);
        return response;
    }

    public async Task<ReconciliationRunResponse?> GetAsync(string orgId, string id, CancellationToken cancellationToken = default) =>
        await documents.ReadAsync(PathOf(orgId, id), cancellationToken) is { } document
            ? document.Content.ToObjectFromJson<ReconciliationRunResponse>(json.Value.SerializerOptions)
            : null;

    private static EmailMessage Message(string recipient, ReconciliationReport report)
    {
        var body = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"Reconciliation {report.Id} of {report.From:u} to {report.To:u}: {report.Matched} payouts matched the provider's transfers, {report.Issues.Count} issues.\n\n");
        foreach (var issue in report.Issues)
        {
            body.Append(CultureInfo.InvariantCulture, $"- {JsonNamingPolicy.SnakeCaseLower.ConvertName(issue.Kind.ToString())}");
            body.Append(issue.PayoutId is null ? "" : $" payout {issue.PayoutId}").Append(issue.TransferId is null ? "" : $" transfer {issue.TransferId}");
            body.Append(issue.Expected is null ? "" : $" expected {issue.Expected}").Append(issue.Actual is null ? "" : $" actual {issue.Actual}").Append('\n');
        }

        return new EmailMessage(recipient, $"Reconciliation found {report.Issues.Count} issue{(report.Issues.Count == 1 ? "" : "s")}", body.ToString());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{OrgId}: reconciliation {Id}: {Matched} matched, {Issues} issues.")]
    private static partial void LogRun(ILogger logger, string orgId, string id, int matched, int issues);
}
