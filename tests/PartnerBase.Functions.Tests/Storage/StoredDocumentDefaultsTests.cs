using System.Text.Json;
using PartnerBase.Core;
using PartnerBase.Core.Partners;
using PartnerBase.Core.Payouts;
using PartnerBase.Functions.Cosmos;

namespace PartnerBase.Functions.Tests.Storage;

/// <summary>Documents written before a field existed read with the field's default.</summary>
public sealed class StoredDocumentDefaultsTests
{
    [Fact]
    public void PartnerAndOrganization_StoredWithoutTheTaxFormFields_ReadAsMissingAndNotRequired()
    {
        var partner = JsonSerializer.Deserialize<PartnerDocument>(
            """{ "id": "partner:p1", "orgId": "o", "type": "partner", "sortKey": "k", "partner": { "id": "p1", "orgId": "o", "name": "P", "email": "p@example.com", "commissionRateBps": 100, "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z", "version": 1 } }""",
            Documents.Json)!;
        var organization = JsonSerializer.Deserialize<OrganizationDocument>(
            """{ "id": "organization", "orgId": "o", "type": "organization", "settings": { "orgId": "o", "minimumPayouts": {}, "automaticPayments": true, "approverEmails": [], "version": 3 } }""",
            Documents.Json)!;

        Assert.Equal(TaxFormStatus.Missing, partner.Partner.TaxFormStatus);
        Assert.False(organization.Settings.RequireVerifiedTaxForm);
        Assert.True(organization.Settings.AutomaticPayments);
        Assert.Equal(0, organization.Settings.HoldDays);
        Assert.Empty(organization.Settings.ApprovalPolicy.DualApprovalAtOrAbove);
        Assert.Empty(organization.Settings.ApprovalPolicy.AutoApproveBelow);
    }

    [Fact]
    public void Payout_StoredWithoutApprovals_ReadsWithNoneAndNoEditors()
    {
        var now = DateTimeOffset.UnixEpoch;
        var draft = new PayoutDraft("po_1", "o", "p1", new Money(100, Currency.Parse("USD")), Period.Month(2026, 7), null, null);
        var stored = JsonSerializer.SerializeToNode(PayoutDocument.From(Payout.Create(draft, Actor.User("alice"), now).Payout), Documents.Json)!;
        Assert.True(stored["payout"]!.AsObject().Remove("approvals") && stored["payout"]!.AsObject().Remove("editedBy"));

        var payout = stored.Deserialize<PayoutDocument>(Documents.Json)!.Payout;

        Assert.Empty(payout.Approvals);
        Assert.Empty(payout.EditedBy);
        Assert.Equal(PayoutStatus.PendingApproval, payout.Status);
    }

    [Fact]
    public void PlannedRun_StoredWithoutHoldDaysOrPolicy_HoldsNothingAndApprovesNothing()
    {
        var state = JsonSerializer.Deserialize<CommissionStateDocument>(
            """{ "id": "commission", "orgId": "o", "type": "commission", "state": { "orgId": "o", "leaseOwner": null, "leaseUntil": "2026-01-01T00:00:00Z", "pending": { "runId": "run_1", "period": "2026-09", "payouts": [] }, "version": 2 } }""",
            Documents.Json)!;

        Assert.Equal(0, state.State.Pending!.HoldDays);
        Assert.Null(state.State.Pending.ApprovalPolicy);
    }

    [Fact]
    public void Partner_WithTaxFormStatus_RoundTripsAsSnakeCase()
    {
        var now = DateTimeOffset.UnixEpoch;
        var document = PartnerDocument.From(new Partner("p1", "o", "P", "p@example.com", 100, null, null, now, now, 1, TaxFormStatus.Verified));

        var json = JsonSerializer.Serialize(document, Documents.Json);

        Assert.Contains("\"taxFormStatus\":\"verified\"", json, StringComparison.Ordinal);
        Assert.Equal(TaxFormStatus.Verified, JsonSerializer.Deserialize<PartnerDocument>(json, Documents.Json)!.Partner.TaxFormStatus);
    }
}
