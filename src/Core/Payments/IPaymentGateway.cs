namespace PartnerBase.Core.Payments;

/// <summary>A payment provider that moves money to a partner's account.</summary>
public interface IPaymentGateway
{
    /// <summary>
    /// Makes the transfer, or — when a transfer with this idempotency key was already made — returns that one
    /// instead of making another. Declines come back as a failed result; infrastructure errors throw.
    /// </summary>
    Task<TransferResult> TransferAsync(TransferRequest request, CancellationToken cancellationToken = default);
}

public sealed record TransferRequest(string IdempotencyKey, string DestinationAccountId, Money Amount, string OrgId, string PayoutId);

public sealed record TransferResult(string? TransferId, string? FailureCode, string? FailureMessage)
{
    public bool Succeeded => TransferId is not null;

    public static TransferResult Paid(string transferId) => new(transferId, null, null);

    public static TransferResult Failed(string code, string message) => new(null, code, message);
}
