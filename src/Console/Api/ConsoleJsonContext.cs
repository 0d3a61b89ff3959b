using System.Text.Json.Serialization;

namespace PartnerBase.Console.Api;

/// <summary>
/// Compile-time JSON metadata for the API's answers: the WebAssembly interpreter otherwise builds it by reflection on
/// the first call, which was the largest part of showing the first page. Request bodies stay reflection-based.
/// </summary>
[JsonSerializable(typeof(Page<Payout>))]
[JsonSerializable(typeof(Payout))]
[JsonSerializable(typeof(Stats))]
[JsonSerializable(typeof(Page<Partner>))]
[JsonSerializable(typeof(Partner))]
[JsonSerializable(typeof(Page<AuditEntry>))]
[JsonSerializable(typeof(BulkApproveResult))]
[JsonSerializable(typeof(PartnerSummary))]
[JsonSerializable(typeof(Organization))]
[JsonSerializable(typeof(CommissionRun))]
[JsonSerializable(typeof(Page<StatementEntry>))]
[JsonSerializable(typeof(GeneratedStatements))]
[JsonSerializable(typeof(Statement))]
[JsonSerializable(typeof(Page<ReconciliationRun>))]
[JsonSerializable(typeof(ReconciliationRun))]
[JsonSerializable(typeof(Page<WebhookEndpoint>))]
[JsonSerializable(typeof(WebhookEndpoint))]
[JsonSerializable(typeof(WebhookEndpointWithSecret))]
[JsonSerializable(typeof(Page<WebhookDelivery>))]
[JsonSerializable(typeof(WebhookDelivery))]
[JsonSerializable(typeof(NewPayout))]
[JsonSerializable(typeof(NewWebhookEndpoint))]
[JsonSerializable(typeof(NewPartner))]
[JsonSerializable(typeof(ApiClient.ProblemBody))]
internal sealed partial class ConsoleJsonContext : JsonSerializerContext;
