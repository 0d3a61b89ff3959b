using System.Collections.Frozen;
using System.Net;
using System.Runtime.CompilerServices;
using PartnerBase.Core;
using PartnerBase.Core.Payments;
using Stripe;

namespace PartnerBase.Functions.Payments;

/// <summary>
/// Pays with a Stripe Connect transfer from the platform balance to the partner's connected account
/// (<c>POST /v1/transfers</c>). The request's idempotency key goes to Stripe unchanged: for 24 hours Stripe answers a
/// repeat of the same request with the transfer it already made, which is how a re-run after a crash finds that
/// transfer instead of making a second one. Reconciliation reads the transfers back (<c>GET /v1/transfers</c>) and knows an
/// organization's by the metadata the payment set on them.
/// </summary>
public sealed class StripePaymentGateway(StripeOptions options) : IPaymentGateway
{
    public const string UnknownFailureCode = "provider_error";
    public const string InvalidAmountCode = "invalid_amount";

    /// <summary>
    /// The amount of a transfer whose Stripe amount has a fraction its currency's ISO minor unit cannot carry (an ISK
    /// amount that is not whole krónur). Every payout's amount is positive (CONTRACT §1), so this one never matches a
    /// payout: reconciliation reports the transfer's amount as a mismatch rather than match it to a rounded amount.
    /// </summary>
    public const long UnrepresentableAmount = -1;

    // Stripe's page size limit for list requests.
    private const int ListPageSize = 100;
    private const string PayoutIdKey = "payout_id";
    private const string OrgIdKey = "org_id";

    /// <summary>Stripe's error codes (docs.stripe.com/error-codes) to ours; any other code is <see cref="UnknownFailureCode"/>.</summary>
    internal static readonly FrozenDictionary<string, string> FailureCodes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["account_closed"] = "account_closed",
        ["account_invalid"] = "account_closed",
        ["no_account"] = "account_closed",
        // A transfer refers to one object by id, its destination: this is "No such destination".
        ["resource_missing"] = "account_closed",
        ["insufficient_capabilities_for_transfer"] = "account_not_enabled",
        ["transfers_not_allowed"] = "account_not_enabled",
        ["balance_insufficient"] = "insufficient_funds",
        ["insufficient_funds"] = "insufficient_funds",
        ["amount_too_small"] = InvalidAmountCode,
        ["amount_too_large"] = InvalidAmountCode,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    // Where Stripe's amount unit is not the ISO 4217 minor unit (docs.stripe.com/currencies, special cases): ISK
    // stays two-decimal in Stripe's API although ISO has none, and MGA is zero-decimal there although ISO has two.
    private static readonly FrozenDictionary<string, int> StripeDecimalPlaces =
        new Dictionary<string, int>(StringComparer.Ordinal) { ["ISK"] = 2, ["MGA"] = 0 }.ToFrozenDictionary(StringComparer.Ordinal);

    // api.stripe.com's addresses change over time; a pooled connection should not outlive them forever.
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = SystemNetHttpClient.DefaultHttpTimeout,
    };

    // Stripe.net retries network errors, 409 and 5xx answers itself (twice, with backoff) reusing our idempotency key,
    // which is safe and cheaper than a redelivery of the whole event.
    private readonly TransferService _transfers = new StripeClient(new StripeClientOptions
    {
        ApiKey = options.ApiKey,
        ApiBase = options.ApiBase?.ToString().TrimEnd('/'),
        HttpClient = new SystemNetHttpClient(Http, SystemNetHttpClient.DefaultMaxNumberRetries),
    }).V1.Transfers;

    public async Task<TransferResult> TransferAsync(TransferRequest request, CancellationToken cancellationToken = default)
    {
        var currency = request.Amount.Currency;
        if (ToStripeAmount(request.Amount) is not { } amount)
        {
            return TransferResult.Failed(InvalidAmountCode, $"{request.Amount} cannot be expressed in Stripe's unit for {currency.Code}.");
        }

        var transfer = new TransferCreateOptions
        {
            Amount = amount,
#pragma warning disable CA1308 // Stripe's API takes currency codes in lower case.
            Currency = currency.Code.ToLowerInvariant(),
#pragma warning restore CA1308
            Destination = request.DestinationAccountId,
            TransferGroup = request.PayoutId,
            Metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [PayoutIdKey] = request.PayoutId,
                [OrgIdKey] = request.OrgId,
            },
        };
        try
        {
            var created = await _transfers.CreateAsync(transfer, new RequestOptions { IdempotencyKey = request.IdempotencyKey }, cancellationToken);
            return TransferResult.Paid(created.Id);
        }
        catch (StripeException exception) when (IsVerdictOnThisTransfer(exception))
        {
            var error = exception.StripeError;
            return TransferResult.Failed(NormalizeCode(error.Code), string.IsNullOrEmpty(error.Message) ? exception.Message : error.Message);
        }
    }

    public async IAsyncEnumerable<ProviderTransfer> ListTransfersAsync(
        string orgId, DateTimeOffset from, DateTimeOffset to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Stripe filters only by time; the organization is in the metadata, which its list cannot filter by.
        var options = new TransferListOptions
        {
            Created = new DateRangeOptions { GreaterThanOrEqual = WholeSecondAtOrAfter(from), LessThan = WholeSecondAtOrAfter(to) },
            Limit = ListPageSize,
        };
        await foreach (var transfer in _transfers.ListAutoPagingAsync(options, cancellationToken: cancellationToken))
        {
            if (BelongsTo(transfer, orgId))
            {
                yield return ToProviderTransfer(transfer);
            }
        }
    }

    public async Task<ProviderTransfer?> GetTransferAsync(string orgId, string transferId, CancellationToken cancellationToken = default)
    {
        try
        {
            var transfer = await _transfers.GetAsync(transferId, cancellationToken: cancellationToken);
            return BelongsTo(transfer, orgId) ? ToProviderTransfer(transfer) : null;
        }
        catch (StripeException exception) when (exception.HttpStatusCode == HttpStatusCode.NotFound && exception.StripeError?.Code == "resource_missing")
        {
            return null;
        }
    }

    internal static string NormalizeCode(string? stripeCode) =>
        stripeCode is not null && FailureCodes.TryGetValue(stripeCode, out var code) ? code : UnknownFailureCode;

    /// <summary>The amount in Stripe's unit for its currency, or null when it has a fraction that unit cannot carry.</summary>
    internal static long? ToStripeAmount(Money amount)
    {
        if (!StripeDecimalPlaces.TryGetValue(amount.Currency.Code, out var stripeDecimals))
        {
            return amount.MinorUnits;
        }

        var factor = PowerOfTen(Math.Abs(stripeDecimals - amount.Currency.DecimalPlaces));
        return stripeDecimals >= amount.Currency.DecimalPlaces ? checked(amount.MinorUnits * factor)
            : amount.MinorUnits % factor == 0 ? amount.MinorUnits / factor
            : null;
    }

    /// <summary>
    /// The inverse of <see cref="ToStripeAmount"/>: a Stripe amount of <paramref name="currencyCode"/> (upper case) in ISO
    /// 4217 minor units, or <see cref="UnrepresentableAmount"/> when it has a fraction the ISO minor unit cannot carry.
    /// </summary>
    internal static long FromStripeAmount(long stripeAmount, string currencyCode)
    {
        if (!StripeDecimalPlaces.TryGetValue(currencyCode, out var stripeDecimals))
        {
            return stripeAmount;
        }

        var isoDecimals = Currency.Parse(currencyCode).DecimalPlaces;
        var factor = PowerOfTen(Math.Abs(stripeDecimals - isoDecimals));
        return isoDecimals >= stripeDecimals ? checked(stripeAmount * factor)
            : stripeAmount % factor == 0 ? stripeAmount / factor
            : UnrepresentableAmount;
    }

    private static long PowerOfTen(int exponent)
    {
        var power = 1L;
        for (var i = 0; i < exponent; i++)
        {
            power *= 10;
        }

        return power;
    }

    // Stripe compares whole Unix seconds, and Stripe.net rounds a DateTime to the nearest one. A transfer's second s is
    // at or after a bound b exactly when s >= ceiling(b), so rounding both ends up keeps [from, to) exact.
    private static DateTime WholeSecondAtOrAfter(DateTimeOffset instant)
    {
        var seconds = instant.ToUnixTimeSeconds();
        return DateTimeOffset.FromUnixTimeSeconds(instant > DateTimeOffset.FromUnixTimeSeconds(seconds) ? seconds + 1 : seconds).UtcDateTime;
    }

    private static bool BelongsTo(Transfer transfer, string orgId) =>
        transfer.Metadata is { } metadata && metadata.TryGetValue(OrgIdKey, out var owner) && owner == orgId;

    private static ProviderTransfer ToProviderTransfer(Transfer transfer)
    {
        var currency = transfer.Currency.ToUpperInvariant();
        return new ProviderTransfer(
            transfer.Id,
            transfer.Metadata?.GetValueOrDefault(PayoutIdKey) ?? transfer.TransferGroup,
            currency,
            FromStripeAmount(transfer.Amount, currency),
            // Stripe.net reads Stripe's Unix seconds as a UTC DateTime.
            new DateTimeOffset(transfer.Created, TimeSpan.Zero),
            // Stripe sets Reversed only once the whole amount is reversed; a partial reversal also means the partner
            // did not keep what the payout paid.
            transfer.Reversed || transfer.AmountReversed > 0);
    }

    // Only Stripe's judgement of this very request fails the payout: it was received, refused for a reason about the
    // request or the account, and sending it again cannot change that (Stripe even replays a 4xx for the same key; the
    // next attempt, after finance retries the payout, gets a new key). Everything else throws, so the event is
    // redelivered and the same key retried — a payout whose outcome is unknown is never marked failed:
    // - network errors and timeouts: Stripe may or may not have made the transfer;
    // - 5xx: indeterminate by Stripe's own account (money may have moved), and replayed for the key, so the delivery
    //   ends in the dead-letter queue for a person to reconcile rather than as a failure someone would pay again;
    // - 429 and 409: rate limited, or a concurrent request with the same key — later will do;
    // - 401 and 403: our API key is wrong or lacks a permission, which is the platform's problem, not this payout's;
    // - other types (api_error, idempotency_error = same key with other parameters, a bug) or no code at all.
    private static bool IsVerdictOnThisTransfer(StripeException exception) =>
        exception.StripeError is { Code.Length: > 0, Type: "card_error" or "invalid_request_error" }
        && (int)exception.HttpStatusCode is >= 400 and < 500 and not (401 or 403 or 409 or 429);
}
