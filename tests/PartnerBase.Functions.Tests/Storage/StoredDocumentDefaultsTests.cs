using System.Text.Json;
using PartnerBase.Core.Partners;
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
