using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.WebAssembly.Authentication;
using PartnerBase.Core.Payouts;

namespace PartnerBase.Console.Api;

/// <summary>
/// The console's one way to the API: typed calls for the routes of CONTRACT §3–§8, §10 and §11. Every change of a payout sends
/// If-Match with the version the user was shown; creates send the Idempotency-Key the caller holds for its dialog.
/// A failure is an <see cref="ApiException"/>; a 401 (or a token that cannot be had) sends the user to sign in again.
/// </summary>
public sealed class ApiClient(HttpClient http, NavigationManager navigation)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = JsonTypeInfoResolver.Combine(ConsoleJsonContext.Default, new DefaultJsonTypeInfoResolver()),
    };

    public Task<Page<Payout>> ListPayoutsAsync(PayoutFilter filter, string? cursor, int limit = 25, CancellationToken cancellationToken = default) =>
        GetAsync<Page<Payout>>(Query("payouts", Filter(filter) + $"&expand=partner&limit={limit}" + Param("cursor", cursor)), cancellationToken);

    public Task<Payout> GetPayoutAsync(string id, CancellationToken cancellationToken = default) =>
        GetAsync<Payout>($"payouts/{Uri.EscapeDataString(id)}", cancellationToken);

    public Task<Stats> GetStatsAsync(CancellationToken cancellationToken = default) =>
        GetAsync<Stats>("payouts/stats", cancellationToken);

    public Task<Payout> CreatePayoutAsync(NewPayout payout, string idempotencyKey, CancellationToken cancellationToken = default) =>
        SendAsync<Payout>(HttpMethod.Post, "payouts", payout, idempotencyKey: idempotencyKey, cancellationToken: cancellationToken);

    public Task<Payout> UpdatePayoutAsync(string id, long version, object patch, CancellationToken cancellationToken = default) =>
        SendAsync<Payout>(HttpMethod.Patch, $"payouts/{Uri.EscapeDataString(id)}", patch, version, cancellationToken: cancellationToken);

    public Task DeletePayoutAsync(string id, long version, CancellationToken cancellationToken = default) =>
        SendAsync<JsonElement?>(HttpMethod.Delete, $"payouts/{Uri.EscapeDataString(id)}", null, version, cancellationToken: cancellationToken);

    /// <summary>Approve, reject, mark-processing, mark-paid or mark-failed, with its body (reason, reference, failure).</summary>
    public Task<Payout> ChangePayoutAsync(string id, PayoutAction action, long version, object? body, CancellationToken cancellationToken = default) =>
        SendAsync<Payout>(HttpMethod.Post, $"payouts/{Uri.EscapeDataString(id)}/{Route(action)}", body ?? new { }, version, cancellationToken: cancellationToken);

    public Task<BulkApproveResult> BulkApproveAsync(IReadOnlyCollection<string> payoutIds, string idempotencyKey, CancellationToken cancellationToken = default) =>
        SendAsync<BulkApproveResult>(HttpMethod.Post, "payouts/bulk-approve", new { payoutIds }, idempotencyKey: idempotencyKey, cancellationToken: cancellationToken);

    public Task<Page<AuditEntry>> ListAuditLogAsync(string? payoutId, string? cursor, int limit = 25, CancellationToken cancellationToken = default) =>
        GetAsync<Page<AuditEntry>>(Query("audit-log", Param("payoutId", payoutId) + $"&limit={limit}" + Param("cursor", cursor)), cancellationToken);

    public Task<Page<Partner>> ListPartnersAsync(string? cursor, int limit = 100, CancellationToken cancellationToken = default) =>
        GetAsync<Page<Partner>>(Query("partners", $"&limit={limit}" + Param("cursor", cursor)), cancellationToken);

    public Task<Partner> GetPartnerAsync(string id, CancellationToken cancellationToken = default) =>
        GetAsync<Partner>($"partners/{Uri.EscapeDataString(id)}", cancellationToken);

    public Task<Partner> CreatePartnerAsync(NewPartner partner, CancellationToken cancellationToken = default) =>
        SendAsync<Partner>(HttpMethod.Post, "partners", partner, cancellationToken: cancellationToken);

    public Task<Partner> UpdatePartnerAsync(string id, long version, object patch, CancellationToken cancellationToken = default) =>
        SendAsync<Partner>(HttpMethod.Patch, $"partners/{Uri.EscapeDataString(id)}", patch, version, cancellationToken: cancellationToken);

    public Task<PartnerSummary> GetPartnerSummaryAsync(string partnerId, CancellationToken cancellationToken = default) =>
        GetAsync<PartnerSummary>($"partners/{Uri.EscapeDataString(partnerId)}/payout-summary", cancellationToken);

    public Task<Organization> GetOrganizationAsync(CancellationToken cancellationToken = default) =>
        GetAsync<Organization>("organization", cancellationToken);

    public Task<Organization> UpdateOrganizationAsync(object patch, CancellationToken cancellationToken = default) =>
        SendAsync<Organization>(HttpMethod.Patch, "organization", patch, cancellationToken: cancellationToken);

    public Task<CommissionRun> RunCommissionsAsync(string period, bool dryRun, string idempotencyKey, CancellationToken cancellationToken = default) =>
        SendAsync<CommissionRun>(HttpMethod.Post, "commission-runs", new { period, dryRun }, idempotencyKey: idempotencyKey, cancellationToken: cancellationToken);

    public Task<GeneratedStatements> GenerateStatementsAsync(string period, string idempotencyKey, CancellationToken cancellationToken = default) =>
        SendAsync<GeneratedStatements>(HttpMethod.Post, "statements", new { period }, idempotencyKey: idempotencyKey, cancellationToken: cancellationToken);

    public Task<Page<StatementEntry>> ListStatementsAsync(string partnerId, string? cursor, int limit = 25, CancellationToken cancellationToken = default) =>
        GetAsync<Page<StatementEntry>>(Query($"partners/{Uri.EscapeDataString(partnerId)}/statements", $"&limit={limit}" + Param("cursor", cursor)), cancellationToken);

    /// <summary>The partner's latest statement of the period, as JSON (the route answers PDF unless asked otherwise).</summary>
    public async Task<Statement> GetStatementAsync(string partnerId, string period, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, StatementPath(partnerId, period));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await SendCoreAsync(request, cancellationToken);
        return await ReadAsync<Statement>(response, cancellationToken);
    }

    /// <summary>The statement's PDF: its file name (<c>statement-{partnerId}-{period}.pdf</c>) and bytes.</summary>
    public async Task<(string FileName, byte[] Content)> DownloadStatementAsync(string partnerId, string period, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, StatementPath(partnerId, period));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/pdf"));
        using var response = await SendCoreAsync(request, cancellationToken);
        return (FileNameOf(response, $"statement-{partnerId}-{period}.pdf"), await response.Content.ReadAsByteArrayAsync(cancellationToken));
    }

    /// <param name="from">An ISO 8601 date or timestamp, inclusive; null: the API's default window.</param>
    /// <param name="to">Exclusive; null: now.</param>
    public Task<ReconciliationRun> RunReconciliationAsync(string? from, string? to, string idempotencyKey, CancellationToken cancellationToken = default) =>
        SendAsync<ReconciliationRun>(HttpMethod.Post, "reconciliation-runs", new { from, to }, idempotencyKey: idempotencyKey, cancellationToken: cancellationToken);

    public Task<Page<ReconciliationRun>> ListReconciliationRunsAsync(string? cursor, int limit = 25, CancellationToken cancellationToken = default) =>
        GetAsync<Page<ReconciliationRun>>(Query("reconciliation-runs", $"&limit={limit}" + Param("cursor", cursor)), cancellationToken);

    public Task<ReconciliationRun> GetReconciliationRunAsync(string id, CancellationToken cancellationToken = default) =>
        GetAsync<ReconciliationRun>($"reconciliation-runs/{Uri.EscapeDataString(id)}", cancellationToken);

    public async Task<IReadOnlyList<WebhookEndpoint>> ListWebhookEndpointsAsync(CancellationToken cancellationToken = default) =>
        (await GetAsync<Page<WebhookEndpoint>>("webhook-endpoints", cancellationToken)).Data;

    public Task<WebhookEndpointWithSecret> CreateWebhookEndpointAsync(NewWebhookEndpoint endpoint, CancellationToken cancellationToken = default) =>
        SendAsync<WebhookEndpointWithSecret>(HttpMethod.Post, "webhook-endpoints", endpoint, cancellationToken: cancellationToken);

    /// <param name="version">The version the user was shown (If-Match).</param>
    public Task<WebhookEndpoint> UpdateWebhookEndpointAsync(string id, long version, object patch, CancellationToken cancellationToken = default) =>
        SendAsync<WebhookEndpoint>(HttpMethod.Patch, WebhookPath(id), patch, version, cancellationToken: cancellationToken);

    public Task DeleteWebhookEndpointAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync<JsonElement?>(HttpMethod.Delete, WebhookPath(id), null, cancellationToken: cancellationToken);

    public Task<WebhookEndpointWithSecret> RotateWebhookSecretAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync<WebhookEndpointWithSecret>(HttpMethod.Post, $"{WebhookPath(id)}/rotate-secret", new { }, cancellationToken: cancellationToken);

    /// <summary>Sends a <c>webhook.test</c> event to the endpoint now; the answer is its delivery.</summary>
    public Task<WebhookDelivery> TestWebhookEndpointAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync<WebhookDelivery>(HttpMethod.Post, $"{WebhookPath(id)}/test", new { }, cancellationToken: cancellationToken);

    public Task<Page<WebhookDelivery>> ListWebhookDeliveriesAsync(string endpointId, string? cursor, int limit = 25, CancellationToken cancellationToken = default) =>
        GetAsync<Page<WebhookDelivery>>(Query($"{WebhookPath(endpointId)}/deliveries", $"&limit={limit}" + Param("cursor", cursor)), cancellationToken);

    /// <summary>Sends the delivery again now; the answer holds the new attempt.</summary>
    public Task<WebhookDelivery> RetryWebhookDeliveryAsync(string endpointId, string deliveryId, CancellationToken cancellationToken = default) =>
        SendAsync<WebhookDelivery>(HttpMethod.Post, $"{WebhookPath(endpointId)}/deliveries/{Uri.EscapeDataString(deliveryId)}/retry", new { }, cancellationToken: cancellationToken);

    /// <summary>The CSV export of the filters: its file name and bytes.</summary>
    public async Task<(string FileName, byte[] Content)> ExportPayoutsAsync(PayoutFilter filter, CancellationToken cancellationToken = default)
    {
        using var response = await SendCoreAsync(new HttpRequestMessage(HttpMethod.Get, Query("payouts/export", Filter(filter))), cancellationToken);
        return (FileNameOf(response, "payouts.csv"), await response.Content.ReadAsByteArrayAsync(cancellationToken));
    }

    private static string FileNameOf(HttpResponseMessage response, string fallback) =>
        response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"') ?? fallback;

    private static string WebhookPath(string id) => $"webhook-endpoints/{Uri.EscapeDataString(id)}";

    private static string StatementPath(string partnerId, string period) =>
        $"partners/{Uri.EscapeDataString(partnerId)}/statements/{Uri.EscapeDataString(period)}";

    private async Task<T> GetAsync<T>(string path, CancellationToken cancellationToken)
    {
        using var response = await SendCoreAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);
        return await ReadAsync<T>(response, cancellationToken);
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, long? version = null, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        }

        if (version is { } shown)
        {
            request.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{shown.ToString(CultureInfo.InvariantCulture)}\""));
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using var response = await SendCoreAsync(request, cancellationToken);
        return response.StatusCode == HttpStatusCode.NoContent ? default! : await ReadAsync<T>(response, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendCoreAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            using (request)
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
        }
        catch (AccessTokenNotAvailableException e)
        {
            e.Redirect();
            throw new ApiException(HttpStatusCode.Unauthorized, "unauthenticated", "Your sign-in has expired. Signing you in again…");
        }
        catch (HttpRequestException e)
        {
            throw ApiException.Network(e);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                navigation.NavigateToLogin("authentication/login");
                throw new ApiException(HttpStatusCode.Unauthorized, "unauthenticated", "Your sign-in has expired. Signing you in again…");
            }

            throw await ReadProblemAsync(response, cancellationToken);
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return (await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken))!;
        }
        catch (HttpRequestException e)
        {
            throw ApiException.Network(e);
        }
    }

    private static async Task<ApiException> ReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ProblemBody? problem = null;
        try
        {
            problem = await response.Content.ReadFromJsonAsync<ProblemBody>(Json, cancellationToken);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or HttpRequestException)
        {
            // Not a problem document (a proxy's error page): the status alone must do.
        }

        var message = problem?.Detail ?? problem?.Title ?? $"The request failed ({(int)response.StatusCode} {response.ReasonPhrase}).";
        return new ApiException(response.StatusCode, problem?.Code, message, problem?.Errors);
    }

    private static string Route(PayoutAction action) => action switch
    {
        PayoutAction.Approve => "approve",
        PayoutAction.Reject => "reject",
        PayoutAction.MarkProcessing => "mark-processing",
        PayoutAction.MarkPaid => "mark-paid",
        PayoutAction.MarkFailed => "mark-failed",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Not a POST action."),
    };

    private static string Filter(PayoutFilter filter) =>
        Param("status", filter.Status) + Param("partnerId", filter.PartnerId) + Param("period", filter.Period);

    private static string Param(string name, string? value) =>
        string.IsNullOrEmpty(value) ? "" : $"&{name}={Uri.EscapeDataString(value)}";

    private static string Query(string path, string parameters) =>
        parameters.Length == 0 ? path : $"{path}?{parameters[1..]}";

    internal sealed record ProblemBody(string? Title, string? Detail, string? Code, Dictionary<string, string[]>? Errors);
}
