using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace PartnerBase.Core.Payments;

/// <summary>
/// The embedded default: pays any account after a short delay, except accounts starting with <c>acct_fail</c>, which
/// fail with <c>account_closed</c>. Idempotent like a real provider: one key, one transfer.
/// </summary>
public sealed class SimulatedPaymentGateway(TimeProvider timeProvider) : IPaymentGateway
{
    public const string FailingAccountPrefix = "acct_fail";
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(200);

    private readonly ConcurrentDictionary<string, (TransferResult Result, ProviderTransfer? Transfer, string OrgId)> _transfers = new(StringComparer.Ordinal);

    /// <summary>How many distinct transfers were made (what a bank statement would show).</summary>
    public int TransferCount => _transfers.Count(entry => entry.Value.Result.Succeeded);

    public async Task<TransferResult> TransferAsync(TransferRequest request, CancellationToken cancellationToken = default)
    {
        if (_transfers.TryGetValue(request.IdempotencyKey, out var existing))
        {
            return existing.Result;
        }

        await Task.Delay(Latency, timeProvider, cancellationToken);
        if (request.DestinationAccountId.StartsWith(FailingAccountPrefix, StringComparison.Ordinal))
        {
            return _transfers.GetOrAdd(request.IdempotencyKey, (TransferResult.Failed("account_closed", "The destination account is closed."), null, request.OrgId)).Result;
        }

        var id = "sim_tr_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(request.IdempotencyKey)).AsSpan(0, 12));
        var transfer = new ProviderTransfer(id, request.PayoutId, request.Amount.Currency.Code, request.Amount.MinorUnits, timeProvider.GetUtcNow(), Reversed: false);
        return _transfers.GetOrAdd(request.IdempotencyKey, (TransferResult.Paid(id), transfer, request.OrgId)).Result;
    }

    public async IAsyncEnumerable<ProviderTransfer> ListTransfersAsync(
        string orgId, DateTimeOffset from, DateTimeOffset to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask;
        foreach (var (_, (_, transfer, owner)) in _transfers)
        {
            if (owner == orgId && transfer is not null && transfer.CreatedAt >= from && transfer.CreatedAt < to)
            {
                yield return transfer;
            }
        }
    }

    public Task<ProviderTransfer?> GetTransferAsync(string orgId, string transferId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_transfers.Values.FirstOrDefault(entry => entry.OrgId == orgId && entry.Transfer?.Id == transferId).Transfer);
}
