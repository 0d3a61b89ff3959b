using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PartnerBase.Functions.Tests.Payments;

/// <summary>
/// A local HTTP endpoint standing in for Stripe's transfers API (docs.stripe.com/api/transfers), checking each request's
/// wire format. <c>POST /v1/transfers</c> answers with the next entry of a script, or by default creates a transfer. Like
/// Stripe's idempotency layer it remembers every answer under its <c>Idempotency-Key</c> and replays it for a repeat of
/// that request (with <c>Idempotent-Replayed: true</c>), except rate limits; a repeat with other parameters gets Stripe's
/// <c>idempotency_error</c>. <c>GET /v1/transfers</c> (a page, newest first) and <c>GET /v1/transfers/{id}</c> read the
/// transfers it made and those a test added.
/// </summary>
public sealed class FakeStripe : IAsyncDisposable
{
    public const string ApiKey = "sk_test_fake_51PartnerBaseKey";

    // What GET /v1/transfers accepts (docs.stripe.com/api/transfers/list) and this fake implements.
    private static readonly string[] ListParameters = ["created[gt]", "created[gte]", "created[lt]", "created[lte]", "limit", "starting_after"];

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Answer> _script = new();
    private readonly ConcurrentDictionary<string, (string Body, Answer Answer)> _byIdempotencyKey = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (StripeTransfer Transfer, long Sequence)> _transfers = new(StringComparer.Ordinal);
    private int _nextTransfer;
    private long _nextSequence;

    private FakeStripe(WebApplication app) => _app = app;

    /// <summary>Every request, in arrival order (replays and retries included).</summary>
    public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();

    public ConcurrentQueue<string> WireErrors { get; } = new();

    /// <summary>How many transfers there are (what the platform's balance would show), those a test added included.</summary>
    public int TransferCount => _transfers.Count;

    public Uri BaseUri => new(_app.Urls.Single());

    /// <summary>The <c>created</c> time of the transfers <c>POST /v1/transfers</c> makes from now on.</summary>
    public DateTimeOffset Now { get; set; } = DateTimeOffset.FromUnixTimeSeconds(1_767_225_600);

    public static async Task<FakeStripe> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeStripe(app);
        app.Run(fake.ReceiveAsync);
        await app.StartAsync();
        return fake;
    }

    /// <summary>Answers the next <c>POST</c> that is not a replay by creating the transfer <paramref name="id"/>.</summary>
    public void ScriptTransfer(string id) => _script.Enqueue(new Answer(200, null, id));

    /// <summary>Answers the next <c>POST</c> that is not a replay with a Stripe error object.</summary>
    public void ScriptError(int status, string type, string? code, string message) =>
        _script.Enqueue(new Answer(status, JsonSerializer.Serialize(new { error = new { type, code, message } }), null));

    /// <summary>
    /// Adds a transfer directly, as if made some other way (an earlier payment, by hand in the dashboard, another
    /// integration): with metadata <c>org_id</c> and <c>payout_id</c> when given, and <paramref name="currency"/> and
    /// <paramref name="amount"/> as Stripe writes them (lower case, Stripe's unit).
    /// </summary>
    public StripeTransfer AddTransfer(string? orgId, string? payoutId, long amount, string currency, DateTimeOffset created, string? transferGroup = null)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (orgId is not null)
        {
            metadata["org_id"] = orgId;
        }

        if (payoutId is not null)
        {
            metadata["payout_id"] = payoutId;
        }

        var transfer = new StripeTransfer(
            $"tr_fake_{Interlocked.Increment(ref _nextTransfer)}", amount, currency, "acct_1PartnerDest", transferGroup, metadata, created.ToUnixTimeSeconds());
        Store(transfer);
        return transfer;
    }

    public StripeTransfer GetTransfer(string id) => _transfers[id].Transfer;

    /// <summary>Reverses <paramref name="amount"/> of the transfer (by default what is left of it), as <c>POST /v1/transfers/{id}/reversals</c> does.</summary>
    public void ReverseTransfer(string id, long? amount = null) => Update(id, transfer =>
    {
        var reversed = transfer.AmountReversed + (amount ?? transfer.Amount - transfer.AmountReversed);
        return transfer with { AmountReversed = reversed, Reversed = reversed == transfer.Amount };
    });

    /// <summary>Gives the transfer another amount (Stripe's unit), which Stripe never does: for what a reconciliation must notice.</summary>
    public void SetTransferAmount(string id, long amount) => Update(id, transfer => transfer with { Amount = amount });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        var request = context.Request;
        var form = request.HasFormContentType
            ? (await request.ReadFormAsync()).ToDictionary(field => field.Key, field => field.Value.ToString(), StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);
        var key = request.Headers["Idempotency-Key"].ToString();
        var query = request.Query.ToDictionary(field => field.Key, field => field.Value.ToString(), StringComparer.Ordinal);
        var received = new ReceivedRequest(request.Method, request.Path.Value ?? "", request.Headers.Authorization.ToString(), key, form, query);
        Requests.Enqueue(received);
        if (request.Method == "GET")
        {
            await ReadAsync(context, received);
            return;
        }

        foreach (var error in Check(received, request.ContentType))
        {
            WireErrors.Enqueue(error);
        }

        var body = string.Join('&', form.OrderBy(field => field.Key, StringComparer.Ordinal).Select(field => $"{field.Key}={field.Value}"));
        if (key.Length > 0 && _byIdempotencyKey.TryGetValue(key, out var earlier))
        {
            context.Response.Headers["Idempotent-Replayed"] = "true";
            await WriteAsync(context, earlier.Body == body
                ? earlier.Answer
                : new Answer(400, JsonSerializer.Serialize(new
                {
                    error = new { type = "idempotency_error", message = "Keys for idempotent requests can only be used with the same parameters they were first used with." },
                }), null));
            return;
        }

        var answer = _script.TryDequeue(out var next) ? next : new Answer(200, null, $"tr_fake_{Interlocked.Increment(ref _nextTransfer)}");
        if (answer.Status == 200)
        {
            var transfer = new StripeTransfer(
                answer.TransferId!,
                long.TryParse(form.GetValueOrDefault("amount"), out var amount) ? amount : 0,
                form.GetValueOrDefault("currency") ?? "",
                form.GetValueOrDefault("destination") ?? "",
                form.GetValueOrDefault("transfer_group"),
                form.Where(field => field.Key.StartsWith("metadata[", StringComparison.Ordinal))
                    .ToDictionary(field => field.Key["metadata[".Length..^1], field => field.Value, StringComparer.Ordinal),
                Now.ToUnixTimeSeconds());
            Store(transfer);
            answer = answer with { Json = JsonSerializer.Serialize(TransferObject(transfer)) };
        }

        // Rate limiting runs before Stripe's idempotency layer, so a 429 is not remembered.
        if (key.Length > 0 && answer.Status != 429)
        {
            _byIdempotencyKey.TryAdd(key, (body, answer));
        }

        await WriteAsync(context, answer);
    }

    private static List<string> Check(ReceivedRequest request, string? contentType)
    {
        var errors = new List<string>();
        if (request.Method != "POST" || request.Path != "/v1/transfers")
        {
            errors.Add($"{request.Method} {request.Path}");
        }

        if (request.Authorization != "Bearer " + ApiKey)
        {
            errors.Add($"Authorization '{request.Authorization}'");
        }

        if (contentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.Ordinal) != true)
        {
            errors.Add($"Content-Type '{contentType}'");
        }

        if (request.IdempotencyKey.Length == 0)
        {
            errors.Add("no Idempotency-Key");
        }

        foreach (var field in new[] { "amount", "currency", "destination", "metadata[payout_id]", "metadata[org_id]" })
        {
            if (request.Form.GetValueOrDefault(field) is not { Length: > 0 })
            {
                errors.Add($"form field {field} missing");
            }
        }

        if (request.Form.TryGetValue("amount", out var amount) && !long.TryParse(amount, out _))
        {
            errors.Add($"amount '{amount}' is not an integer");
        }

        if (request.Form.TryGetValue("currency", out var currency) && currency.Any(char.IsUpper))
        {
            errors.Add($"currency '{currency}' is not lower case");
        }

        return errors;
    }

    private async Task ReadAsync(HttpContext context, ReceivedRequest request)
    {
        foreach (var error in CheckRead(request))
        {
            WireErrors.Enqueue(error);
        }

        if (request.Path == "/v1/transfers")
        {
            await WriteAsync(context, new Answer(200, JsonSerializer.Serialize(ListPage(request.Query)), null));
            return;
        }

        var id = request.Path.StartsWith("/v1/transfers/", StringComparison.Ordinal) ? request.Path["/v1/transfers/".Length..] : "";
        await WriteAsync(context, _transfers.TryGetValue(id, out var found)
            ? new Answer(200, JsonSerializer.Serialize(TransferObject(found.Transfer)), null)
            : new Answer(404, JsonSerializer.Serialize(new
            {
                error = new { type = "invalid_request_error", code = "resource_missing", message = $"No such transfer: '{id}'", param = "id" },
            }), null));
    }

    private List<string> CheckRead(ReceivedRequest request)
    {
        var errors = new List<string>();
        if (request.Authorization != "Bearer " + ApiKey)
        {
            errors.Add($"Authorization '{request.Authorization}'");
        }

        if (request.Path != "/v1/transfers")
        {
            var id = request.Path.StartsWith("/v1/transfers/", StringComparison.Ordinal) ? request.Path["/v1/transfers/".Length..] : "";
            if (id.Length == 0 || id.Contains('/', StringComparison.Ordinal))
            {
                errors.Add($"GET {request.Path}");
            }

            if (request.Query.Count > 0)
            {
                errors.Add($"GET {request.Path} with query {string.Join('&', request.Query.Keys)}");
            }

            return errors;
        }

        foreach (var (name, value) in request.Query)
        {
            if (!ListParameters.Contains(name, StringComparer.Ordinal))
            {
                errors.Add($"query parameter {name} not supported");
            }
            else if (name.StartsWith("created[", StringComparison.Ordinal) && !long.TryParse(value, out _))
            {
                errors.Add($"{name} '{value}' is not Unix seconds");
            }
        }

        if (request.Query.TryGetValue("limit", out var limit) && !(int.TryParse(limit, out var size) && size is >= 1 and <= 100))
        {
            errors.Add($"limit '{limit}' is not 1 to 100");
        }

        if (request.Query.TryGetValue("starting_after", out var after) && !_transfers.ContainsKey(after))
        {
            errors.Add($"starting_after '{after}' is no transfer");
        }

        return errors;
    }

    private Dictionary<string, object?> ListPage(IReadOnlyDictionary<string, string> query)
    {
        long? Bound(string name) => query.TryGetValue(name, out var value) && long.TryParse(value, out var seconds) ? seconds : null;
        var (gt, gte, lt, lte) = (Bound("created[gt]"), Bound("created[gte]"), Bound("created[lt]"), Bound("created[lte]"));
        bool InRange(long created) =>
            (gt is null || created > gt) && (gte is null || created >= gte) && (lt is null || created < lt) && (lte is null || created <= lte);
        var limit = query.TryGetValue("limit", out var text) && int.TryParse(text, out var size) ? Math.Clamp(size, 1, 100) : 10;

        // Newest first, as Stripe lists; transfers of the same second in reverse order of creation.
        var matching = _transfers.Values
            .Where(entry => InRange(entry.Transfer.Created))
            .OrderByDescending(entry => entry.Transfer.Created)
            .ThenByDescending(entry => entry.Sequence)
            .Select(entry => entry.Transfer)
            .ToList();
        if (query.TryGetValue("starting_after", out var after))
        {
            matching = matching.SkipWhile(transfer => transfer.Id != after).Skip(1).ToList();
        }

        return new Dictionary<string, object?>
        {
            ["object"] = "list",
            ["data"] = matching.Take(limit).Select(TransferObject).ToList(),
            ["has_more"] = matching.Count > limit,
            ["url"] = "/v1/transfers",
        };
    }

    private void Store(StripeTransfer transfer) => _transfers[transfer.Id] = (transfer, Interlocked.Increment(ref _nextSequence));

    private void Update(string id, Func<StripeTransfer, StripeTransfer> change)
    {
        var (transfer, sequence) = _transfers[id];
        _transfers[id] = (change(transfer), sequence);
    }

    private static Dictionary<string, object?> TransferObject(StripeTransfer transfer) => new()
    {
        ["id"] = transfer.Id,
        ["object"] = "transfer",
        ["amount"] = transfer.Amount,
        ["amount_reversed"] = transfer.AmountReversed,
        ["currency"] = transfer.Currency,
        ["destination"] = transfer.Destination,
        ["transfer_group"] = transfer.TransferGroup,
        ["metadata"] = transfer.Metadata,
        ["livemode"] = false,
        ["reversed"] = transfer.Reversed,
        ["created"] = transfer.Created,
    };

    private static async Task WriteAsync(HttpContext context, Answer answer)
    {
        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = "application/json";
        context.Response.Headers["Request-Id"] = "req_" + Guid.NewGuid().ToString("N");
        await context.Response.WriteAsync(answer.Json ?? "{}");
    }

    private sealed record Answer(int Status, string? Json, string? TransferId);

    public sealed record ReceivedRequest(
        string Method, string Path, string Authorization, string IdempotencyKey, IReadOnlyDictionary<string, string> Form, IReadOnlyDictionary<string, string> Query);

    /// <summary>A transfer as Stripe keeps it: amount in Stripe's unit, currency in lower case, <c>created</c> in Unix seconds.</summary>
    public sealed record StripeTransfer(
        string Id,
        long Amount,
        string Currency,
        string Destination,
        string? TransferGroup,
        IReadOnlyDictionary<string, string> Metadata,
        long Created,
        bool Reversed = false,
        long AmountReversed = 0);
}
