using System.Globalization;
using System.Net;
using PartnerBase.Core;
using PartnerBase.Core.Payments;
using PartnerBase.Functions.Payments;
using Stripe;

namespace PartnerBase.Functions.Tests.Payments;

/// <summary>
/// The Stripe adapter against a local stand-in for Stripe's API (<see cref="FakeStripe"/>). The gateway keeps Stripe.net's
/// default of two automatic retries, as in production: the tests assert what those retries send rather than turn them off.
/// </summary>
public sealed class StripePaymentGatewayTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Day = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);

    private FakeStripe _stripe = null!;
    private StripePaymentGateway _gateway = null!;

    public async ValueTask InitializeAsync()
    {
        _stripe = await FakeStripe.StartAsync();
        _gateway = new StripePaymentGateway(new StripeOptions { ApiKey = FakeStripe.ApiKey, ApiBase = _stripe.BaseUri });
    }

    public async ValueTask DisposeAsync() => await _stripe.DisposeAsync();

    [Fact]
    public async Task TransferAsync_WhenStripeCreatesTransfer_ReturnsPaidWithItsId()
    {
        _stripe.ScriptTransfer("tr_123");
        var request = Request(new Money(12_345, Currency.Parse("EUR")));

        var result = await _gateway.TransferAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(TransferResult.Paid("tr_123"), result);
        Assert.Empty(_stripe.WireErrors);
        var sent = Assert.Single(_stripe.Requests);
        Assert.Equal("POST", sent.Method);
        Assert.Equal("/v1/transfers", sent.Path);
        Assert.Equal("Bearer " + FakeStripe.ApiKey, sent.Authorization);
        Assert.Equal(request.IdempotencyKey, sent.IdempotencyKey);
        Assert.Equal("12345", sent.Form["amount"]);
        Assert.Equal("eur", sent.Form["currency"]);
        Assert.Equal(request.DestinationAccountId, sent.Form["destination"]);
        Assert.Equal(request.PayoutId, sent.Form["metadata[payout_id]"]);
        Assert.Equal(request.OrgId, sent.Form["metadata[org_id]"]);
        Assert.Equal(request.PayoutId, sent.Form["transfer_group"]);
    }

    [Fact]
    public async Task TransferAsync_WhenAccountInvalid_FailsWithNormalizedCodeAndStripesMessage()
    {
        _stripe.ScriptError(400, "invalid_request_error", "account_invalid", "The provided key does not have access to account 'acct_gone'.");

        var result = await _gateway.TransferAsync(Request(), TestContext.Current.CancellationToken);

        Assert.Equal(TransferResult.Failed("account_closed", "The provided key does not have access to account 'acct_gone'."), result);
        Assert.Single(_stripe.Requests);
        Assert.Equal(0, _stripe.TransferCount);
    }

    [Theory]
    [InlineData(400, "invalid_request_error", "account_closed", "account_closed")]
    [InlineData(400, "invalid_request_error", "no_account", "account_closed")]
    [InlineData(404, "invalid_request_error", "resource_missing", "account_closed")]
    [InlineData(400, "invalid_request_error", "insufficient_capabilities_for_transfer", "account_not_enabled")]
    [InlineData(400, "invalid_request_error", "transfers_not_allowed", "account_not_enabled")]
    [InlineData(400, "invalid_request_error", "balance_insufficient", "insufficient_funds")]
    [InlineData(402, "card_error", "insufficient_funds", "insufficient_funds")]
    [InlineData(400, "invalid_request_error", "amount_too_small", "invalid_amount")]
    [InlineData(400, "invalid_request_error", "amount_too_large", "invalid_amount")]
    [InlineData(400, "invalid_request_error", "a_code_stripe_adds_next_year", "provider_error")]
    [InlineData(400, "invalid_request_error", "parameter_invalid_integer", "provider_error")]
    public async Task TransferAsync_WhenStripeRefusesWithCode_FailsWithNormalizedCode(int status, string type, string code, string expected)
    {
        _stripe.ScriptError(status, type, code, $"Refused: {code}.");

        var result = await _gateway.TransferAsync(Request(), TestContext.Current.CancellationToken);

        Assert.Equal(TransferResult.Failed(expected, $"Refused: {code}."), result);
        Assert.Single(_stripe.Requests);
    }

    [Fact]
    public async Task TransferAsync_WhenStripeAnswers500_ThrowsAfterRetryingWithTheSameKey()
    {
        _stripe.ScriptError(500, "api_error", null, "An unknown error occurred.");
        var request = Request();

        var error = await Assert.ThrowsAsync<StripeException>(() => _gateway.TransferAsync(request, TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.InternalServerError, error.HttpStatusCode);
        // Stripe.net's two retries, with our key: Stripe replays the 500 it remembered for the key, nothing is paid twice.
        Assert.Equal(3, _stripe.Requests.Count);
        Assert.All(_stripe.Requests, sent => Assert.Equal(request.IdempotencyKey, sent.IdempotencyKey));
        Assert.Equal(0, _stripe.TransferCount);
    }

    [Theory]
    [InlineData(429, "invalid_request_error", "rate_limit")]
    [InlineData(401, "invalid_request_error", null)]
    [InlineData(403, "invalid_request_error", "secret_key_required")]
    [InlineData(400, "invalid_request_error", null)]
    [InlineData(400, "idempotency_error", "idempotency_key_in_use")]
    [InlineData(400, "api_error", "processing_error")]
    public async Task TransferAsync_WhenStripeErrorIsNotAboutThisTransfer_Throws(int status, string type, string? code)
    {
        _stripe.ScriptError(status, type, code, "Not a verdict on this payout.");

        var error = await Assert.ThrowsAsync<StripeException>(() => _gateway.TransferAsync(Request(), TestContext.Current.CancellationToken));

        Assert.Equal(status, (int)error.HttpStatusCode);
        Assert.Single(_stripe.Requests);
    }

    [Fact]
    public async Task TransferAsync_WhenStripeUnreachable_ThrowsHttpRequestException()
    {
        using var refusing = new RefusingPort();
        var gateway = new StripePaymentGateway(new StripeOptions { ApiKey = FakeStripe.ApiKey, ApiBase = new Uri($"http://127.0.0.1:{refusing.Port}/") });

        await Assert.ThrowsAsync<HttpRequestException>(() => gateway.TransferAsync(Request(), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task TransferAsync_SameIdempotencyKeyTwice_ReturnsTheSameTransfer()
    {
        var request = Request();

        var first = await _gateway.TransferAsync(request, TestContext.Current.CancellationToken);
        // A re-run after a crash: same payout, same attempt, same key.
        var second = await _gateway.TransferAsync(request, TestContext.Current.CancellationToken);

        Assert.True(first.Succeeded);
        Assert.Equal(first, second);
        Assert.Equal(2, _stripe.Requests.Count);
        Assert.Equal(1, _stripe.TransferCount);
    }

    [Fact]
    public async Task TransferAsync_NextAttemptsKey_MakesAnotherTransfer()
    {
        var first = await _gateway.TransferAsync(Request(key: "po_1-attempt-1"), TestContext.Current.CancellationToken);
        var second = await _gateway.TransferAsync(Request(key: "po_1-attempt-2"), TestContext.Current.CancellationToken);

        Assert.NotEqual(first.TransferId, second.TransferId);
        Assert.Equal(2, _stripe.TransferCount);
    }

    [Fact]
    public async Task TransferAsync_InIcelandicKrona_SendsStripesTwoDecimalAmount()
    {
        await _gateway.TransferAsync(Request(new Money(5_000, Currency.Parse("ISK"))), TestContext.Current.CancellationToken);

        var sent = Assert.Single(_stripe.Requests);
        Assert.Equal("500000", sent.Form["amount"]);
        Assert.Equal("isk", sent.Form["currency"]);
    }

    [Fact]
    public async Task TransferAsync_WhenAmountHasFractionStripeCannotCarry_FailsWithoutCallingStripe()
    {
        var result = await _gateway.TransferAsync(Request(new Money(1_250, Currency.Parse("MGA"))), TestContext.Current.CancellationToken);

        Assert.Equal("invalid_amount", result.FailureCode);
        Assert.Empty(_stripe.Requests);
    }

    [Theory]
    [InlineData("USD", 1_234, 1_234L)]
    [InlineData("JPY", 500, 500L)]
    [InlineData("BHD", 5_120, 5_120L)]
    [InlineData("ISK", 5, 500L)]
    [InlineData("MGA", 1_200, 12L)]
    [InlineData("MGA", 1_250, null)]
    public void ToStripeAmount_ForCurrency_UsesStripesUnit(string currency, long minorUnits, long? expected)
    {
        Assert.Equal(expected, StripePaymentGateway.ToStripeAmount(new Money(minorUnits, Currency.Parse(currency))));
    }

    [Fact]
    public async Task ListTransfersAsync_MoreThanOnePage_ReadsEveryPageOfAHundred()
    {
        var orgId = NewOrgId();
        var added = Enumerable.Range(0, 250).Select(i => _stripe.AddTransfer(orgId, $"po_{i}", 1_000 + i, "usd", Day.AddMinutes(i))).ToList();

        var listed = await ListAsync(orgId, Day, Day.AddDays(1));

        Assert.Equal(250, listed.Count);
        Assert.Equal(SortedIds(added.Select(transfer => transfer.Id)), SortedIds(listed.Select(transfer => transfer.Id)));
        var pages = _stripe.Requests.ToList();
        Assert.Equal(3, pages.Count);
        Assert.All(pages, page => Assert.Equal(("GET", "/v1/transfers", "100"), (page.Method, page.Path, page.Query["limit"])));
        Assert.False(pages[0].Query.ContainsKey("starting_after"));
        Assert.Equal(listed[99].Id, pages[1].Query["starting_after"]);
        Assert.Equal(listed[199].Id, pages[2].Query["starting_after"]);
        Assert.Empty(_stripe.WireErrors);
    }

    [Fact]
    public async Task ListTransfersAsync_CreatedRange_IncludesFromAndExcludesTo()
    {
        var orgId = NewOrgId();
        var (from, to) = (Day, Day.AddDays(1));
        _stripe.AddTransfer(orgId, "po_before", 100, "usd", from.AddSeconds(-1));
        var first = _stripe.AddTransfer(orgId, "po_first", 100, "usd", from);
        var last = _stripe.AddTransfer(orgId, "po_last", 100, "usd", to.AddSeconds(-1));
        _stripe.AddTransfer(orgId, "po_after", 100, "usd", to);

        var listed = await ListAsync(orgId, from, to);

        Assert.Equal(SortedIds([first.Id, last.Id]), SortedIds(listed.Select(transfer => transfer.Id)));
        var sent = Assert.Single(_stripe.Requests);
        Assert.Equal(from.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), sent.Query["created[gte]"]);
        Assert.Equal(to.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), sent.Query["created[lt]"]);
        Assert.Empty(_stripe.WireErrors);
    }

    [Fact]
    public async Task ListTransfersAsync_BoundsBetweenWholeSeconds_KeepsTheHalfOpenRange()
    {
        var orgId = NewOrgId();
        // Stripe's created times are whole seconds; these bounds are not.
        var (from, to) = (Day.AddMilliseconds(500), Day.AddHours(1).AddMilliseconds(500));
        _stripe.AddTransfer(orgId, "po_before", 100, "usd", Day);
        var first = _stripe.AddTransfer(orgId, "po_first", 100, "usd", Day.AddSeconds(1));
        var last = _stripe.AddTransfer(orgId, "po_last", 100, "usd", Day.AddHours(1));
        _stripe.AddTransfer(orgId, "po_after", 100, "usd", Day.AddHours(1).AddSeconds(1));

        var listed = await ListAsync(orgId, from, to);

        Assert.Equal(SortedIds([first.Id, last.Id]), SortedIds(listed.Select(transfer => transfer.Id)));
    }

    [Fact]
    public async Task ListTransfersAsync_OtherOrganizationsAndUnlabelledTransfers_AreLeftOut()
    {
        var orgId = NewOrgId();
        var paid = _stripe.AddTransfer(orgId, "po_1", 100, "usd", Day);
        var unknown = _stripe.AddTransfer(orgId, payoutId: null, 200, "usd", Day.AddHours(1));
        _stripe.AddTransfer(NewOrgId(), "po_1", 100, "usd", Day.AddHours(2));
        // Made by hand in the dashboard: no metadata at all.
        _stripe.AddTransfer(orgId: null, payoutId: null, 100, "usd", Day.AddHours(3));

        var listed = await ListAsync(orgId, Day, Day.AddDays(1));

        Assert.Equal(
            [new ProviderTransfer(unknown.Id, null, "USD", 200, Day.AddHours(1), false), new ProviderTransfer(paid.Id, "po_1", "USD", 100, Day, false)],
            listed.OrderByDescending(transfer => transfer.CreatedAt));
    }

    [Fact]
    public async Task ListTransfersAsync_TransferWithoutPayoutMetadata_TakesPayoutIdFromTransferGroup()
    {
        var orgId = NewOrgId();
        _stripe.AddTransfer(orgId, payoutId: null, 100, "usd", Day, transferGroup: "po_grouped");

        var listed = await ListAsync(orgId, Day, Day.AddDays(1));

        Assert.Equal("po_grouped", Assert.Single(listed).PayoutId);
    }

    [Fact]
    public async Task ListTransfersAsync_ReversedInWholeOrInPart_IsReversed()
    {
        var orgId = NewOrgId();
        var whole = _stripe.AddTransfer(orgId, "po_1", 1_000, "usd", Day);
        var part = _stripe.AddTransfer(orgId, "po_2", 1_000, "usd", Day);
        var kept = _stripe.AddTransfer(orgId, "po_3", 1_000, "usd", Day);
        _stripe.ReverseTransfer(whole.Id);
        _stripe.ReverseTransfer(part.Id, 250);

        var reversed = (await ListAsync(orgId, Day, Day.AddDays(1))).ToDictionary(transfer => transfer.Id, transfer => transfer.Reversed);

        Assert.True(reversed[whole.Id]);
        // Stripe's own flag stays false for a partial reversal.
        Assert.False(_stripe.GetTransfer(part.Id).Reversed);
        Assert.True(reversed[part.Id]);
        Assert.False(reversed[kept.Id]);
    }

    [Theory]
    [InlineData("USD", 1_234, 1_234)]
    [InlineData("JPY", 500, 500)]
    [InlineData("ISK", 5_000, 500_000)]
    [InlineData("MGA", 1_200, 12)]
    public async Task TransferAsync_ThenReadBack_GivesTheIsoAmountAgain(string currency, long minorUnits, long stripeAmount)
    {
        var request = Request(new Money(minorUnits, Currency.Parse(currency)));
        var paid = await _gateway.TransferAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(stripeAmount, _stripe.GetTransfer(paid.TransferId!).Amount);
        var expected = new ProviderTransfer(paid.TransferId!, request.PayoutId, currency, minorUnits, _stripe.Now, Reversed: false);
        Assert.Equal(expected, await _gateway.GetTransferAsync(request.OrgId, paid.TransferId!, TestContext.Current.CancellationToken));
        Assert.Equal([expected], await ListAsync(request.OrgId, _stripe.Now, _stripe.Now.AddSeconds(1)));
        Assert.Empty(_stripe.WireErrors);
    }

    [Theory]
    [InlineData("USD", 1_234, 1_234L)]
    [InlineData("JPY", 500, 500L)]
    [InlineData("BHD", 5_120, 5_120L)]
    [InlineData("ISK", 500, 5L)]
    [InlineData("ISK", 12_345, StripePaymentGateway.UnrepresentableAmount)]
    [InlineData("MGA", 12, 1_200L)]
    public void FromStripeAmount_ForCurrency_ReturnsIsoMinorUnits(string currency, long stripeAmount, long expected)
    {
        Assert.Equal(expected, StripePaymentGateway.FromStripeAmount(stripeAmount, currency));
    }

    [Fact]
    public async Task GetTransferAsync_WhenFound_ReturnsItAsStripeHasItNow()
    {
        var orgId = NewOrgId();
        var added = _stripe.AddTransfer(orgId, "po_7", 2_500, "eur", Day.AddHours(3));
        _stripe.SetTransferAmount(added.Id, 2_400);

        var transfer = await _gateway.GetTransferAsync(orgId, added.Id, TestContext.Current.CancellationToken);

        Assert.Equal(new ProviderTransfer(added.Id, "po_7", "EUR", 2_400, Day.AddHours(3), false), transfer);
        var sent = Assert.Single(_stripe.Requests);
        Assert.Equal(("GET", $"/v1/transfers/{added.Id}"), (sent.Method, sent.Path));
        Assert.Empty(_stripe.WireErrors);
    }

    [Fact]
    public async Task GetTransferAsync_WhenStripeHasNone_ReturnsNull()
    {
        var transfer = await _gateway.GetTransferAsync(NewOrgId(), "tr_missing", TestContext.Current.CancellationToken);

        Assert.Null(transfer);
        // Stripe's 404 is an answer, not a failure Stripe.net would retry.
        var sent = Assert.Single(_stripe.Requests);
        Assert.Equal(("GET", "/v1/transfers/tr_missing"), (sent.Method, sent.Path));
        Assert.Empty(_stripe.WireErrors);
    }

    [Fact]
    public async Task GetTransferAsync_OtherOrganizationsTransfer_ReturnsNull()
    {
        var theirs = _stripe.AddTransfer(NewOrgId(), "po_1", 100, "usd", Day);

        Assert.Null(await _gateway.GetTransferAsync(NewOrgId(), theirs.Id, TestContext.Current.CancellationToken));
    }

    private async Task<List<ProviderTransfer>> ListAsync(string orgId, DateTimeOffset from, DateTimeOffset to) =>
        await _gateway.ListTransfersAsync(orgId, from, to, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);

    private static string[] SortedIds(IEnumerable<string> ids) => ids.Order(StringComparer.Ordinal).ToArray();

    private static string NewOrgId() => "org_" + Guid.NewGuid().ToString("N")[..8];

    private static TransferRequest Request(Money? amount = null, string key = "po_42-attempt-1") =>
        new(key, "acct_1PartnerDest", amount ?? new Money(10_000, Currency.Parse("USD")), NewOrgId(), "po_42");
}
