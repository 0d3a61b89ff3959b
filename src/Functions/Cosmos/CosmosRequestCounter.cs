namespace PartnerBase.Functions.Cosmos;

/// <summary>
/// Counts the HTTP requests the Cosmos client sends (Gateway mode), so that tests and benchmarks can state what an
/// operation costs. Sits first in the client's handler chain.
/// </summary>
public sealed class CosmosRequestCounter : DelegatingHandler
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _count);
        return base.SendAsync(request, cancellationToken);
    }
}
