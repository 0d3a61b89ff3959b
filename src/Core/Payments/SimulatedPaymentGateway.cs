using System.Collections.Concurrent;
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

    private readonly ConcurrentDictionary<string, TransferResult> _transfers = new(StringComparer.Ordinal);

    /// <summary>How many distinct transfers were made (what a bank statement would show).</summary>
    public int TransferCount => _transfers.Count(entry => entry.Value.Succeeded);

    public async Task<TransferResult> TransferAsync(TransferRequest request, CancellationToken cancellationToken = default)
    {
        if (_transfers.TryGetValue(request.IdempotencyKey, out var existing))
        {
            return existing;
        }

        await Task.Delay(Latency, timeProvider, cancellationToken);
        var result = request.DestinationAccountId.StartsWith(FailingAccountPrefix, StringComparison.Ordinal)
            ? TransferResult.Failed("account_closed", "The destination account is closed.")
            : TransferResult.Paid("sim_tr_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(request.IdempotencyKey)).AsSpan(0, 12)));
        return _transfers.GetOrAdd(request.IdempotencyKey, result);
    }
}
