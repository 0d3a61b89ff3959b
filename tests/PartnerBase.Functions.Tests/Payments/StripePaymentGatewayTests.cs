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

    private static TransferRequest Request(Money? amount = null, string key = "po_42-attempt-1") =>
        new(key, "acct_1PartnerDest", amount ?? new Money(10_000, Currency.Parse("USD")), "org_" + Guid.NewGuid().ToString("N")[..8], "po_42");
}
