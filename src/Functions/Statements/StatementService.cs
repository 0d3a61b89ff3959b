using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using PartnerBase.Core;
using PartnerBase.Core.Statements;
using PartnerBase.Core.Storage;
using PartnerBase.Functions.Blobs;

namespace PartnerBase.Functions.Statements;

/// <summary>
/// Generates a period's statements (CONTRACT §10): each partner's as a PDF and as JSON with the same figures, written to
/// <c>statements/{orgId}/{period}/{partnerId}.pdf|.json</c> (an earlier generation is kept as an earlier version),
/// then listed in the store. Generating a period again is safe at any time and from any number of callers (the
/// timer's repeats, a past-due run, a person): each generation is a complete new version.
/// </summary>
public sealed class StatementService(IPayoutStore store, DocumentStore documents, TimeProvider timeProvider, IOptions<JsonOptions> json)
{
    public const string PdfType = "application/pdf";
    public const string JsonType = "application/json";

    // Rendering is CPU and uploads wait on the network: a few statements at a time keep both busy.
    private const int Concurrency = 4;

    private readonly StatementBuilder _builder = new(store);

    public static string PathOf(string orgId, Period period, string partnerId, string extension) =>
        $"statements/{Uri.EscapeDataString(orgId)}/{period}/{partnerId}.{extension}";

    public async Task<IReadOnlyList<StatementEntry>> GenerateAsync(string orgId, Period period, CancellationToken cancellationToken = default)
    {
        var entries = new List<StatementEntry>();
        var options = new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(_builder.BuildAsync(orgId, period, timeProvider.GetUtcNow(), cancellationToken), options, async (statement, token) =>
        {
            var entry = await WriteAsync(statement, token);
            lock (entries)
            {
                entries.Add(entry);
            }
        });
        return entries.OrderBy(e => e.PartnerId, StringComparer.Ordinal).ToList();
    }

    /// <summary>Writes one statement's documents and lists it.</summary>
    public async Task<StatementEntry> WriteAsync(Statement statement, CancellationToken cancellationToken = default)
    {
        var pdf = StatementPdf.Render(statement);
        var body = JsonSerializer.SerializeToUtf8Bytes(statement.ToResponse(), json.Value.SerializerOptions);
        await Task.WhenAll(
            documents.WriteAsync(PathOf(statement.OrgId, statement.Period, statement.Partner.Id, "pdf"), new BinaryData(pdf), PdfType, cancellationToken),
            documents.WriteAsync(PathOf(statement.OrgId, statement.Period, statement.Partner.Id, "json"), new BinaryData(body), JsonType, cancellationToken));
        var entry = new StatementEntry(statement.Id, statement.OrgId, statement.Partner.Id, statement.Period, statement.GeneratedAt);
        await store.SaveStatementAsync(entry, cancellationToken);
        return entry;
    }

    /// <summary>The latest statement of a partner's period in <paramref name="mediaType"/>, or null.</summary>
    public Task<StoredDocument?> ReadAsync(string orgId, string partnerId, Period period, string mediaType, CancellationToken cancellationToken = default) =>
        documents.ReadAsync(PathOf(orgId, period, partnerId, mediaType == PdfType ? "pdf" : "json"), cancellationToken);
}
