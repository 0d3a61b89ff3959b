using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PartnerBase.Functions.Tests.Payments;

/// <summary>
/// A local HTTP endpoint standing in for Stripe's <c>POST /v1/transfers</c> (docs.stripe.com/api/transfers/create): it
/// checks each request's wire format and answers with the next entry of a script, or by default creates a transfer.
/// Like Stripe's idempotency layer it remembers every answer under its <c>Idempotency-Key</c> and replays it for a
/// repeat of that request (with <c>Idempotent-Replayed: true</c>), except rate limits; a repeat with other parameters
/// gets Stripe's <c>idempotency_error</c>.
/// </summary>
public sealed class FakeStripe : IAsyncDisposable
{
    public const string ApiKey = "sk_test_fake_51PartnerBaseKey";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Answer> _script = new();
    private readonly ConcurrentDictionary<string, (string Body, Answer Answer)> _byIdempotencyKey = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _transfers = new(StringComparer.Ordinal);
    private int _nextTransfer;

    private FakeStripe(WebApplication app) => _app = app;

    /// <summary>Every request, in arrival order (replays and retries included).</summary>
    public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();

    public ConcurrentQueue<string> WireErrors { get; } = new();

    /// <summary>How many transfers were made (what the platform's balance would show).</summary>
    public int TransferCount => _transfers.Count;

    public Uri BaseUri => new(_app.Urls.Single());

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

    /// <summary>Answers the next request that is not a replay by creating the transfer <paramref name="id"/>.</summary>
    public void ScriptTransfer(string id) => _script.Enqueue(new Answer(200, null, id));

    /// <summary>Answers the next request that is not a replay with a Stripe error object.</summary>
    public void ScriptError(int status, string type, string? code, string message) =>
        _script.Enqueue(new Answer(status, JsonSerializer.Serialize(new { error = new { type, code, message } }), null));

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
        var received = new ReceivedRequest(request.Method, request.Path.Value ?? "", request.Headers.Authorization.ToString(), key, form);
        Requests.Enqueue(received);
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
            answer = answer with { Json = TransferJson(answer.TransferId!, form) };
            _transfers.TryAdd(answer.TransferId!, key);
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

    private static string TransferJson(string id, Dictionary<string, string> form) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["id"] = id,
        ["object"] = "transfer",
        ["amount"] = long.TryParse(form.GetValueOrDefault("amount"), out var amount) ? amount : 0,
        ["amount_reversed"] = 0,
        ["currency"] = form.GetValueOrDefault("currency"),
        ["destination"] = form.GetValueOrDefault("destination"),
        ["transfer_group"] = form.GetValueOrDefault("transfer_group"),
        ["metadata"] = form.Where(field => field.Key.StartsWith("metadata[", StringComparison.Ordinal))
            .ToDictionary(field => field.Key["metadata[".Length..^1], field => field.Value, StringComparer.Ordinal),
        ["livemode"] = false,
        ["reversed"] = false,
        ["created"] = 1_767_225_600,
    });

    private static async Task WriteAsync(HttpContext context, Answer answer)
    {
        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = "application/json";
        context.Response.Headers["Request-Id"] = "req_" + Guid.NewGuid().ToString("N");
        await context.Response.WriteAsync(answer.Json ?? "{}");
    }

    private sealed record Answer(int Status, string? Json, string? TransferId);

    public sealed record ReceivedRequest(string Method, string Path, string Authorization, string IdempotencyKey, IReadOnlyDictionary<string, string> Form);
}
