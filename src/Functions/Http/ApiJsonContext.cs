using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using PartnerBase.Functions.Commissions;
using PartnerBase.Functions.Organizations;
using PartnerBase.Functions.Partners;
using PartnerBase.Functions.Payouts;
using PartnerBase.Functions.Reconciliation;
using PartnerBase.Functions.Statements;
using PartnerBase.Functions.Webhooks;

namespace PartnerBase.Functions.Http;

/// <summary>
/// Compile-time JSON metadata for the API's requests and responses: a cold instance builds its endpoints without
/// reflecting over every type first. The runtime options (camelCase, snake_case enums, strict numbers) still apply.
/// </summary>
[JsonSerializable(typeof(CreatePayoutRequest))]
[JsonSerializable(typeof(UpdatePayoutRequest))]
[JsonSerializable(typeof(RejectPayoutRequest))]
[JsonSerializable(typeof(MarkPaidRequest))]
[JsonSerializable(typeof(MarkFailedRequest))]
[JsonSerializable(typeof(BulkApproveRequest))]
[JsonSerializable(typeof(CreatePartnerRequest))]
[JsonSerializable(typeof(UpdatePartnerRequest))]
[JsonSerializable(typeof(UpdateOrganizationRequest))]
[JsonSerializable(typeof(IngestAttributionsRequest))]
[JsonSerializable(typeof(CommissionRunRequest))]
[JsonSerializable(typeof(PayoutResponse))]
[JsonSerializable(typeof(PageResponse<PayoutResponse>))]
[JsonSerializable(typeof(PageResponse<AuditEntryResponse>))]
[JsonSerializable(typeof(PageResponse<PartnerResponse>))]
[JsonSerializable(typeof(BulkApproveResponse))]
[JsonSerializable(typeof(StatsResponse))]
[JsonSerializable(typeof(PartnerPayoutSummaryResponse))]
[JsonSerializable(typeof(PartnerResponse))]
[JsonSerializable(typeof(OrganizationResponse))]
[JsonSerializable(typeof(IngestAttributionsResponse))]
[JsonSerializable(typeof(CommissionRunResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(CreateStatementsRequest))]
[JsonSerializable(typeof(CreateStatementsResponse))]
[JsonSerializable(typeof(PageResponse<StatementEntryResponse>))]
[JsonSerializable(typeof(StatementResponse))]
[JsonSerializable(typeof(CreateReconciliationRunRequest))]
[JsonSerializable(typeof(ReconciliationRunResponse))]
[JsonSerializable(typeof(PageResponse<ReconciliationRunResponse>))]
[JsonSerializable(typeof(CreateWebhookEndpointRequest))]
[JsonSerializable(typeof(UpdateWebhookEndpointRequest))]
[JsonSerializable(typeof(WebhookEndpointResponse))]
[JsonSerializable(typeof(WebhookEndpointSecretResponse))]
[JsonSerializable(typeof(PageResponse<WebhookEndpointResponse>))]
[JsonSerializable(typeof(WebhookDeliveryResponse))]
[JsonSerializable(typeof(PageResponse<WebhookDeliveryResponse>))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(HttpValidationProblemDetails))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
