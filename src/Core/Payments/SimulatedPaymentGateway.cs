using System.Security.Cryptography;
using System.Text;
using PartnerBase.Core.Storage;

namespace PartnerBase.Core.Payments;

/// <summary>
/// The embedded default: pays any account after a short delay, except accounts starting with <c>acct_fail</c>, which
/// fail with <c>account_closed</c>. Idempotent like a real provider: one key, one transfer. Its transfers are a ledger
/// in the store, so that they survive restarts and reconciliation has a provider's record to compare with.
/// </summary>
public sealed class SimulatedPaymentGateway(IPayoutStore store, TimeProvider timeProvider) : IPaymentGateway
{
    public const string FailingAccountPrefix = "acct_fail";
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(200);

    public async Task<TransferResult> TransferAsync(TransferRequest request, CancellationToken cancellationToken = default)
    {
        if (request.DestinationAccountId.StartsWith(FailingAccountPrefix, StringComparison.Ordinal))
        {
            return TransferResult.Failed("account_closed", "The destination account is closed.");
        }

        // One key, one transfer id: a repeat finds the transfer already in the ledger.
        var id = "sim_tr_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{request.OrgId}|{request.IdempotencyKey}")).AsSpan(0, 12));
        if (await store.GetTransferAsync(request.OrgId, id, cancellationToken) is null)
        {
            await Task.Delay(Latency, timeProvider, cancellationToken);
            var transfer = new ProviderTransfer(id, request.PayoutId, request.Amount.Currency.Code, request.Amount.MinorUnits, timeProvider.GetUtcNow(), Reversed: false);
            await store.TryAddTransferAsync(request.OrgId, transfer, cancellationToken);
        }

        return TransferResult.Paid(id);
    }

    public IAsyncEnumerable<ProviderTransfer> ListTransfersAsync(string orgId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
        store.GetTransfersAsync(orgId, from, to, cancellationToken);

    public Task<ProviderTransfer?> GetTransferAsync(string orgId, string transferId, CancellationToken cancellationToken = default) =>
        store.GetTransferAsync(orgId, transferId, cancellationToken);
}
