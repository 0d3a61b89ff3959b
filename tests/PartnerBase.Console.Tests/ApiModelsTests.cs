using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using PartnerBase.Console.Api;

namespace PartnerBase.Console.Tests;

/// <summary>
/// The console reads the API through its own records (src/Console/Api/ApiModels.cs); each must stay a subset of what
/// the API's OpenAPI document says it answers, or the console would silently read nulls.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ApiModelsTests(ConsoleApp app)
{
    public static TheoryData<string, string> Records => new()
    {
        { nameof(Payout), "PayoutResponse" },
        { nameof(Approval), "ApprovalResponse" },
        { nameof(PartnerRef), "PartnerRef" },
        { nameof(Stats), "StatsResponse" },
        { nameof(CurrencyStats), "CurrencyStatsResponse" },
        { nameof(Bucket), "BucketResponse" },
        { nameof(BulkApproveResult), "BulkApproveResponse" },
        { nameof(BulkApproveSkip), "BulkApproveSkip" },
        { nameof(AuditEntry), "AuditEntryResponse" },
        { nameof(AuditEventData), "PayoutEventData" },
        { nameof(Actor), "ActorResponse" },
        { nameof(Partner), "PartnerResponse" },
        { nameof(PartnerSummary), "PartnerPayoutSummaryResponse" },
        { nameof(PartnerCurrencySummary), "PartnerCurrencySummaryResponse" },
        { nameof(LastPayout), "LastPayoutResponse" },
        { nameof(Organization), "OrganizationResponse" },
        { nameof(ApprovalPolicy), "ApprovalPolicyResponse" },
        { nameof(CommissionRun), "CommissionRunResponse" },
        { nameof(RunPayout), "CommissionRunPayout" },
        { nameof(CarriedForward), "CarriedForwardResponse" },
        { nameof(Held), "HeldResponse" },
        { nameof(StatementEntry), "StatementEntryResponse" },
        { nameof(GeneratedStatements), "CreateStatementsResponse" },
        { nameof(Statement), "StatementResponse" },
        { nameof(StatementPartner), "StatementPartnerResponse" },
        { nameof(StatementCurrency), "StatementCurrencyResponse" },
        { nameof(StatementPayout), "StatementPayoutResponse" },
        { nameof(StatementLine), "StatementLineResponse" },
        { nameof(StatementHeld), "StatementHeldResponse" },
        { nameof(StatementTotals), "StatementTotalsResponse" },
        { nameof(ReconciliationRun), "ReconciliationRunResponse" },
        { nameof(ReconciliationIssue), "ReconciliationIssueResponse" },
        { nameof(WebhookEndpoint), "WebhookEndpointResponse" },
        { nameof(WebhookEndpointWithSecret), "WebhookEndpointSecretResponse" },
        { nameof(WebhookDelivery), "WebhookDeliveryResponse" },
        { nameof(WebhookAttempt), "WebhookAttemptResponse" },
    };

    [Theory]
    [MemberData(nameof(Records))]
    public async Task Record_EveryProperty_IsInTheApisSchema(string record, string schema)
    {
        using var client = new HttpClient { BaseAddress = app.BaseAddress };
        var document = JsonNode.Parse(await client.GetStringAsync("/api/openapi/v1.json", TestContext.Current.CancellationToken))!;
        var properties = document["components"]?["schemas"]?[schema]?["properties"]?.AsObject()
            ?? throw new InvalidOperationException($"The API's OpenAPI document has no schema {schema}.");

        var type = typeof(ApiClient).Assembly.GetType($"PartnerBase.Console.Api.{record}", throwOnError: true)!;
        var missing = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(property => property.DeclaringType == type && property.Name != "EqualityContract")
            .Select(property => JsonNamingPolicy.CamelCase.ConvertName(property.Name))
            .Where(name => !properties.ContainsKey(name))
            .ToList();

        Assert.True(missing.Count == 0, $"{record} reads {string.Join(", ", missing)}, which {schema} does not have.");
    }
}
