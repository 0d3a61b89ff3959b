namespace PartnerBase.Core.Payments;

/// <summary>A payment provider that moves money to a partner's account.</summary>
public interface IPaymentGateway
{
    /// <summary>
    /// Makes the transfer, or — when a transfer with this idempotency key was already made — returns that one
    /// instead of making another. Declines come back as a failed result; infrastructure errors throw.
    /// </summary>
    Task<TransferResult> TransferAsync(TransferRequest request, CancellationToken cancellationToken = default);

    /// <summary>The organization's transfers created in [<paramref name="from"/>, <paramref name="to"/>), reversed ones included.</summary>
    IAsyncEnumerable<ProviderTransfer> ListTransfersAsync(string orgId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);

    /// <summary>One of the organization's transfers by id; null if the provider has none such for it.</summary>
    Task<ProviderTransfer?> GetTransferAsync(string orgId, string transferId, CancellationToken cancellationToken = default);
}

public sealed record TransferRequest(string IdempotencyKey, string DestinationAccountId, Money Amount, string OrgId, string PayoutId);

public sealed record TransferResult(string? TransferId, string? FailureCode, string? FailureMessage)
{
    public bool Succeeded => TransferId is not null;

    public static TransferResult Paid(string transferId) => new(transferId, null, null);

    public static TransferResult Failed(string code, string message) => new(null, code, message);
}

/// <summary>
/// A transfer as the provider records it: <paramref name="PayoutId"/> is what the payment set on it (null if it carries
/// none), the amount in ISO 4217 minor units of <paramref name="Currency"/> (an upper-case code).
/// </summary>
public sealed record ProviderTransfer(string Id, string? PayoutId, string Currency, long Amount, DateTimeOffset CreatedAt, bool Reversed);
